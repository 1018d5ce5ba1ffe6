"""Admin API tokens over real HTTP (real aiohttp server on loopback, real SQLite): listing
without secrets, last use, and revocation that takes effect at once."""

from __future__ import annotations

from core.api.auth import create_api_token, hash_api_token
from core.config import ApiConfig
from tests.api.test_api import V0, running_api

REQUIRED = ApiConfig(addr="127.0.0.1:0", auth_required=True)


async def test_list_shows_names_and_use_but_never_the_secret() -> None:
    async with running_api(REQUIRED) as api:
        clock = api.env.clock
        token = await create_api_token(api.env.store, "ci", clock.now())
        await create_api_token(api.env.store, "ops", clock.now())
        auth = {"Authorization": f"Bearer {token}"}
        status, body, _ = await api.call("GET", f"{V0}/api-tokens", headers=auth)
        assert status == 200
        at = "2026-01-01T12:00:00Z"
        assert body == [
            # The listing request itself is the first use of "ci".
            {"name": "ci", "createdAt": at, "lastUsedAt": at},
            {"name": "ops", "createdAt": at, "lastUsedAt": None},
        ]
        text = str(body)
        assert token not in text
        assert hash_api_token(token) not in text
        assert set(body[0]) == {"name", "createdAt", "lastUsedAt"}


async def test_last_use_is_written_at_most_once_a_minute() -> None:
    async with running_api(REQUIRED) as api:
        clock, store = api.env.clock, api.env.store
        token = await create_api_token(store, "ci", clock.now())
        auth = {"Authorization": f"Bearer {token}"}
        first = clock.now()
        assert (await api.call("GET", f"{V0}/cs", headers=auth))[0] == 200
        assert (await store.list_api_tokens())[0].last_used_at == first
        clock.advance(30)
        assert (await api.call("GET", f"{V0}/cs", headers=auth))[0] == 200
        assert (await store.list_api_tokens())[0].last_used_at == first  # not written again
        clock.advance(31)
        assert (await api.call("GET", f"{V0}/cs", headers=auth))[0] == 200
        assert (await store.list_api_tokens())[0].last_used_at == clock.now()
        _, body, _ = await api.call("GET", f"{V0}/api-tokens", headers=auth)
        assert body[0]["lastUsedAt"] == clock.now().isoformat().replace("+00:00", "Z")


async def test_a_revoked_token_is_refused_on_its_next_request() -> None:
    async with running_api(REQUIRED) as api:
        store, clock = api.env.store, api.env.clock
        admin = {"Authorization": f"Bearer {await create_api_token(store, 'admin', clock.now())}"}
        ci = {"Authorization": f"Bearer {await create_api_token(store, 'ci', clock.now())}"}
        assert (await api.call("GET", f"{V0}/cs", headers=ci))[0] == 200
        status, body, _ = await api.call("DELETE", f"{V0}/api-tokens/ci", headers=admin)
        assert status == 204
        status, body, _ = await api.call("GET", f"{V0}/cs", headers=ci)
        assert status == 401
        assert body["error"] == "unknown bearer token"
        assert [t.name for t in await store.list_api_tokens()] == ["admin"]
        # A token may revoke itself; that request still completes, the next one is refused.
        assert (await api.call("DELETE", f"{V0}/api-tokens/admin", headers=admin))[0] == 204
        assert (await api.call("GET", f"{V0}/api-tokens", headers=admin))[0] == 401


async def test_revoking_an_unknown_name_is_404() -> None:
    async with running_api(REQUIRED) as api:
        token = await create_api_token(api.env.store, "admin", api.env.clock.now())
        auth = {"Authorization": f"Bearer {token}"}
        status, body, _ = await api.call("DELETE", f"{V0}/api-tokens/nosuch", headers=auth)
        assert status == 404
        assert body == {"status": "Not Found", "error": "name: no API token named nosuch"}
        status, _, _ = await api.call("DELETE", f"{V0}/api-tokens/bad%20name", headers=auth)
        assert status == 400


async def test_token_endpoints_need_a_token_when_auth_is_required() -> None:
    async with running_api(REQUIRED) as api:
        await create_api_token(api.env.store, "ci", api.env.clock.now())
        assert (await api.call("GET", f"{V0}/api-tokens"))[0] == 401
        assert (await api.call("DELETE", f"{V0}/api-tokens/ci"))[0] == 401
        assert [t.name for t in await api.env.store.list_api_tokens()] == ["ci"]
