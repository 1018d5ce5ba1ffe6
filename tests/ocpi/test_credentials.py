"""Versions and credentials: both handshakes, token forms, what a token A may do."""

from __future__ import annotations

from core.ocpi.registration import token_from_header
from tests.fixtures.running import ocpi_of
from tests.ocpi.conftest import Env
from tests.ocpi.emsp import COUNTRY, PARTY, CpoClient


async def test_emsp_registers_with_us_token_a_b_c(env: Env) -> None:
    client = await env.emsp_registers("TOKEN-A-1")
    # We fetched the eMSP's versions and details with its token B.
    seen = await env.emsp.wait_for(lambda r: r.path == "/ocpi/2.2.1" and r.token == "EMSP-TOKEN-B")
    assert seen.method == "GET"
    # Token C works for everything; token A is spent.
    status, _, body = await client.request("GET", f"{env.ocpi}/2.2.1/credentials")
    assert status == 200
    assert body["status_code"] == 1000
    assert body["data"]["token"] == client.token
    assert body["data"]["url"].endswith("/ocpi/versions")
    assert body["data"]["roles"][0] | {"business_details": None} == {
        "role": "CPO",
        "country_code": "GB",
        "party_id": "TWK",
        "business_details": None,
    }
    status, _, body = await CpoClient(env.http, "TOKEN-A-1").request("GET", f"{env.ocpi}/versions")
    assert status == 401
    assert body["status_code"] == 2000
    party = await env.csms.store.lookup_party("EMSP", COUNTRY, PARTY)
    assert party is not None
    assert party.token == "EMSP-TOKEN-B"
    assert party.url == env.emsp.versions_url
    # A second POST is refused (405), PUT is the way to update.
    status, _, body = await client.request(
        "POST", f"{env.ocpi}/2.2.1/credentials", {"token": "x", "url": "y", "roles": []}
    )
    assert status == 405
    assert body["status_code"] == 2001


async def test_token_a_may_only_read_versions_and_register(env: Env) -> None:
    status, _ = await env.admin("POST", "/register", {"token": "TOKEN-A-2"})
    assert status == 201
    client = CpoClient(env.http, "TOKEN-A-2")
    status, headers, body = await client.request("GET", f"{env.ocpi}/versions")
    assert status == 200
    assert [v["version"] for v in body["data"]] == ["2.2.1", "2.2"]
    assert headers["X-Request-ID"]
    assert headers["X-Correlation-ID"]
    status, _, body = await client.request("GET", f"{env.cpo}/locations")
    assert status == 403
    assert "register" in body["status_message"]


async def test_the_seeds_raw_token_form_is_accepted(env: Env) -> None:
    client = await env.emsp_registers("TOKEN-A-3")
    raw = CpoClient(env.http, client.token, raw=True)
    status, _, body = await raw.request("GET", f"{env.ocpi}/2.2.1")
    assert status == 200
    identifiers = {(e["identifier"], e["role"]) for e in body["data"]["endpoints"]}
    assert {
        ("locations", "SENDER"),
        ("tokens", "RECEIVER"),
        ("commands", "RECEIVER"),
    } <= identifiers


async def test_request_ids_are_echoed(env: Env) -> None:
    client = await env.emsp_registers("TOKEN-A-4")
    headers = client.headers() | {"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}
    async with env.http.get(f"{env.cpo}/tariffs", headers=headers) as resp:
        assert resp.headers["X-Request-ID"] == "req-1"
        assert resp.headers["X-Correlation-ID"] == "corr-1"
        assert resp.headers["OCPI-to-party-id"] == PARTY


async def test_we_register_with_an_emsp(env: Env) -> None:
    status, body = await env.admin(
        "POST", "/register", {"token": "EMSP-TOKEN-A", "url": env.emsp.versions_url}
    )
    assert status == 201, body
    posted = await env.emsp.wait_for(lambda r: r.path.endswith("/credentials"))
    assert posted.token == "EMSP-TOKEN-A"
    assert posted.body["roles"][0]["role"] == "CPO"
    # The eMSP checked our versions with the token B we gave it, which now works for modules.
    assert env.emsp.cpo_token == posted.body["token"]
    client = CpoClient(env.http, posted.body["token"])
    status, _, _ = await client.request("GET", f"{env.cpo}/locations")
    assert status == 200
    party = await env.csms.store.lookup_party("EMSP", COUNTRY, PARTY)
    assert party is not None
    assert party.token.startswith("EMSP-TOKEN-C-")


async def test_register_with_an_unreachable_party_is_a_clear_500(env: Env) -> None:
    status, body = await env.admin(
        "POST", "/register", {"token": "T", "url": "http://127.0.0.1:9/ocpi/versions"}
    )
    assert status == 500
    assert "ocpi/versions" in body["error"]


async def test_credentials_update_and_delete(env: Env) -> None:
    client = await env.emsp_registers("TOKEN-A-5")
    env.emsp.tokens.add("EMSP-TOKEN-B2")
    status, _, body = await client.request(
        "PUT",
        f"{env.ocpi}/2.2.1/credentials",
        {
            "token": "EMSP-TOKEN-B2",
            "url": env.emsp.versions_url,
            "roles": [{"role": "EMSP", "country_code": COUNTRY, "party_id": PARTY}],
        },
    )
    assert status == 200
    assert body["data"]["token"] != client.token
    old_status, _, _ = await client.request("GET", f"{env.ocpi}/versions")
    assert old_status == 401
    renewed = CpoClient(env.http, body["data"]["token"])
    party = await env.csms.store.lookup_party("EMSP", COUNTRY, PARTY)
    assert party is not None
    assert party.token == "EMSP-TOKEN-B2"
    status, _, _ = await renewed.request("DELETE", f"{env.ocpi}/2.2.1/credentials")
    assert status == 200
    status, _, _ = await renewed.request("GET", f"{env.ocpi}/versions")
    assert status == 401
    assert await ocpi_of(env.csms).registrar.parties("EMSP") == []


def test_token_header_forms() -> None:
    assert token_from_header("Token YWJj") == ["abc", "YWJj"]
    assert token_from_header("token raw-token") == ["raw-token"]
    assert token_from_header("Bearer YWJj") == []
    assert token_from_header(None) == []
