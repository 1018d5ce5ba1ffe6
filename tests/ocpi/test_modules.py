"""Locations (sender + push), tokens (receiver), tariffs (sender), paging and bad requests."""

from __future__ import annotations

from typing import Any

from tests.ocpi.conftest import Env
from tests.ocpi.emsp import COUNTRY, PARTY, CpoClient, emsp_token


def admin_location(station_id: str = "CS1", name: str = "Depot") -> dict[str, Any]:
    return {
        "country_code": "GB",
        "party_id": "TWK",
        "name": name,
        "address": "1 High Street",
        "city": "London",
        "postal_code": "N1 1AA",
        "country": "GBR",
        "coordinates": {"latitude": "51.50000", "longitude": "-0.12000"},
        "parking_type": "ON_STREET",
        "evses": [
            {
                "uid": station_id,
                "evse_id": f"GB*TWK*E{station_id}",
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "max_voltage": 400,
                        "max_amperage": 32,
                    }
                ],
            }
        ],
    }


async def test_location_is_stored_and_pushed_to_the_emsp(env: Env) -> None:
    await env.emsp_registers()
    status, body = await env.admin("POST", "/location/LOC1", admin_location())
    assert status == 201, body
    put = await env.emsp.wait_for(lambda r: r.method == "PUT" and "/locations/" in r.path)
    assert put.path == "/ocpi/emsp/2.2.1/locations/GB/TWK/LOC1"
    assert put.token == "EMSP-TOKEN-B"
    assert put.body["publish"] is True
    assert put.body["id"] == "LOC1"
    assert put.body["evses"][0]["status"] == "UNKNOWN"
    assert put.body["last_updated"].endswith("Z")
    assert put.headers["OCPI-from-country-code"] == "GB"
    assert put.headers["OCPI-to-party-id"] == PARTY
    assert put.headers["X-Request-ID"]
    assert put.headers["X-Correlation-ID"]


async def test_admin_location_must_be_ours(env: Env) -> None:
    body = admin_location() | {"country_code": "DE"}
    status, answer = await env.admin("POST", "/location/LOC1", body)
    assert status == 400
    assert "country_code" in answer["error"]


async def test_locations_paging_and_objects(env: Env) -> None:
    client = await env.emsp_registers()
    for i in range(3):
        status, _ = await env.admin("POST", f"/location/L{i}", admin_location(f"CS{i}"))
        assert status == 201
    status, headers, body = await client.request("GET", f"{env.cpo}/locations?limit=2")
    assert status == 200
    assert len(body["data"]) == 2
    assert headers["X-Total-Count"] == "3"
    assert headers["X-Limit"] == "2"
    link = headers["Link"]
    assert "offset=2" in link
    assert link.endswith('rel="next"')
    next_url = link[1 : link.index(">")]
    status, headers, body = await client.request("GET", next_url)
    assert len(body["data"]) == 1
    assert "Link" not in headers
    status, _, body = await client.request("GET", f"{env.cpo}/locations/L1/CS1/1")
    assert status == 200
    assert body["data"]["standard"] == "IEC_62196_T2"
    status, _, body = await client.request("GET", f"{env.cpo}/locations/L1/CS1")
    assert body["data"]["uid"] == "CS1"
    status, _, body = await client.request("GET", f"{env.cpo}/locations/NOPE")
    assert (status, body["status_code"]) == (404, 2003)
    status, _, body = await client.request("GET", f"{env.cpo}/locations/L1/CS1/9")
    assert (status, body["status_code"]) == (404, 2003)


async def test_tokens_receiver_put_get_patch(env: Env) -> None:
    client = await env.emsp_registers()
    url = f"{env.cpo}/tokens/{COUNTRY}/{PARTY}/0102030405"
    status, _, body = await client.request("PUT", url, emsp_token("0102030405"))
    assert (status, body["status_code"]) == (200, 1000)
    status, _, body = await client.request("GET", url)
    assert body["data"]["valid"] is True
    assert body["data"]["whitelist"] == "ALLOWED"
    status, _, body = await client.request(
        "PATCH", url, {"valid": False, "last_updated": "2025-01-02T00:00:00Z"}
    )
    assert status == 200, body
    _, _, body = await client.request("GET", url)
    assert body["data"]["valid"] is False
    stored = await env.csms.store.lookup_token("0102030405")
    assert stored is not None
    assert stored.valid is False
    assert stored.party_id == PARTY

    status, _, body = await client.request("PATCH", url, {"valid": True})
    assert (status, body["status_code"]) == (400, 2001)
    assert "last_updated" in body["status_message"]
    status, _, body = await client.request(
        "PATCH", f"{env.cpo}/tokens/{COUNTRY}/{PARTY}/UNKNOWN", {"last_updated": "x"}
    )
    assert (status, body["status_code"]) == (404, 2004)
    status, _, body = await client.request("GET", f"{env.cpo}/tokens/DE/XXX/0102030405")
    assert (status, body["status_code"]) == (404, 2004)
    status, _, body = await client.request(
        "PUT", f"{env.cpo}/tokens/{COUNTRY}/{PARTY}/OTHER", emsp_token("0102030405")
    )
    assert (status, body["status_code"]) == (400, 2001)
    assert "differ from the URL" in body["status_message"]


async def test_tariff_comes_from_the_tariff_service(env: Env) -> None:
    client = await env.emsp_registers()
    status, headers, body = await client.request("GET", f"{env.cpo}/tariffs")
    assert status == 200
    assert headers["X-Total-Count"] == "1"
    (tariff,) = body["data"]
    assert (tariff["country_code"], tariff["party_id"], tariff["currency"]) == ("GB", "TWK", "EUR")
    component = tariff["elements"][0]["price_components"][0]
    assert component == {"type": "ENERGY", "price": 0.55, "step_size": 1}


async def test_bad_requests_get_an_ocpi_error_not_a_crash(env: Env) -> None:
    client = await env.emsp_registers()
    anonymous = await env.http.get(f"{env.ocpi}/versions")
    assert anonymous.status == 401
    assert (await anonymous.json())["status_code"] == 2000
    garbage = CpoClient(env.http, "not a token at all")
    status, _, _ = await garbage.request("GET", f"{env.ocpi}/versions")
    assert status == 401

    url = f"{env.cpo}/tokens/{COUNTRY}/{PARTY}/T1"
    cases: list[tuple[str, str, Any, bytes | None, int, int, str]] = [
        ("PUT", url, None, b"{not json", 400, 2001, "not JSON"),
        ("PUT", url, None, None, 400, 2001, "JSON body"),
        ("PUT", url, {"uid": "T1"}, None, 400, 2001, "invalid token"),
        ("PUT", url, [1, 2], None, 400, 2001, "invalid token"),
        ("GET", f"{env.cpo}/locations?offset=-1", None, None, 400, 2001, "offset"),
        ("GET", f"{env.cpo}/locations?limit=abc", None, None, 400, 2001, "limit"),
        ("GET", f"{env.cpo}/sessions?date_from=yesterday", None, None, 400, 2001, "date_from"),
        ("GET", f"{env.ocpi}/2.0/cpo/locations", None, None, 404, 3002, "version"),
        ("GET", f"{env.cpo}/nothing-here", None, None, 404, 2000, "Not Found"),
        ("DELETE", f"{env.cpo}/locations", None, None, 405, 2000, "Method Not Allowed"),
        ("POST", f"{env.cpo}/commands/FLY", {}, None, 404, 2001, "unknown command"),
        ("POST", f"{env.cpo}/commands/START_SESSION", {}, None, 400, 2001, "response_url"),
        ("POST", f"{env.ocpi}/2.2.1/credentials", {"token": 5}, None, 405, 2001, "PUT"),
        ("PUT", f"{env.ocpi}/2.2.1/credentials", {"token": 5}, None, 400, 2001, "credentials"),
    ]
    for method, target, body, raw, http, code, words in cases:
        status, _, answer = await client.request(method, target, body, raw)
        assert (status, answer["status_code"]) == (http, code), (method, target, answer)
        assert words in answer["status_message"], (method, target, answer)
        assert answer["timestamp"].endswith("Z")
