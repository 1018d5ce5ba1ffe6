"""The composition root's lifecycle: every part declared up front, background loops owned by one
TaskGroup — stopped with the core, and a failing one stops the core instead of dying unseen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.config import Config, config_from_dict
from core.runtime import Csms, StartupError


def embedded(
    tmp_path: Path, sync: bool = True, name: str = "csms", api_addr: str = "127.0.0.1:0"
) -> Config:
    return config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / f"{name}.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "127.0.0.1:0"},
            "api": {"addr": api_addr, "host": "127.0.0.1"},
            "sync": {"enabled": sync},
            "observability": {"log_file": ""},
        }
    )


def own_tasks() -> set[str]:
    return {t.get_name() for t in asyncio.all_tasks()} & {"sync", "call-expiry", "boom"}


async def test_starting_adds_no_attribute(tmp_path: Path) -> None:
    """Whatever start-up builds was declared (typed, None) in __init__."""
    csms = Csms(embedded(tmp_path))
    declared = set(vars(csms))
    async with csms:
        assert set(vars(csms)) == declared
        assert csms.gateway is not None
        assert csms.service is not None
        assert csms.api is not None
        assert csms.manager is not None
        assert csms.syncer is not None
        # In process, no OCPI configured:
        assert csms.presence is None
        assert csms.ocpi is None
        assert set(csms.ports) >= {"ws", "status", "api"}
    assert set(vars(csms)) == declared


async def test_background_loops_stop_with_the_core(tmp_path: Path) -> None:
    async with Csms(embedded(tmp_path)):
        assert own_tasks() == {"sync"}
    assert own_tasks() == set()


async def test_a_failing_background_loop_stops_the_core(tmp_path: Path) -> None:
    async def boom() -> None:
        raise RuntimeError("the loop broke")

    reached_the_end = False

    async def serve() -> None:
        nonlocal reached_the_end
        async with asyncio.timeout(10), Csms(embedded(tmp_path, sync=False)) as csms:
            csms._spawn(boom(), "boom")
            await asyncio.Event().wait()  # what a daemon does: serve until told to stop
            reached_the_end = True

    with pytest.raises(ExceptionGroup) as caught:
        await serve()
    assert not reached_the_end
    (error,) = caught.value.exceptions
    assert isinstance(error, RuntimeError)
    assert str(error) == "the loop broke"
    assert own_tasks() == set()


async def test_a_core_that_fails_to_start_leaves_no_loop_running(tmp_path: Path) -> None:
    async with Csms(embedded(tmp_path, name="first")) as first:
        taken = f"127.0.0.1:{first.ports['api']}"  # the second core's API cannot bind
        with pytest.raises(StartupError, match="REST API"):
            async with Csms(embedded(tmp_path, name="second", api_addr=taken)):
                pass
        assert own_tasks() == {"sync"}  # the first core's only
