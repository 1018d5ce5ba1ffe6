"""Snapshots of the activity screens — a running transaction's detail, the message detail and
history, empty and not — with the fixed data of ``test_snapshots`` and a
fixed clock, at 130×30 and at 80×24 (a laptop at a site). Update after an intended change with
`pytest tests/tui/test_activity_snapshots.py --snapshot-update`, then read the new SVG's text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.application.views import (
    MessageView,
    MeterValueView,
    SampledValueView,
    TransactionDetail,
)
from csms_tui import screens
from csms_tui.app import CsmsConsole
from tests.tui.test_snapshots import T0, FixedService, FixedSubscription, _tx, settle

pytestmark = pytest.mark.snapshot

LIVE_DETAIL = TransactionDetail(
    **{
        **_tx("CS-ALPHA", "tx-0042", True, 12_500.0, 6.88).model_dump(),
        "meter_start_wh": 40_000.0,
        "charging_state": "SuspendedEV",
    },
    trigger_reason="MeterValuePeriodic",
    meter_values=[
        MeterValueView(
            timestamp=T0 + timedelta(minutes=5 * i),
            sampled_values=[
                SampledValueView(
                    value=40_000.0 + i * 2500.0,
                    measurand="Energy.Active.Import.Register",
                    unit="Wh",
                    context="Transaction.Begin" if i == 0 else "Sample.Periodic",
                ),
                SampledValueView(
                    value=30_000.0,
                    measurand="Power.Active.Import",
                    unit="W",
                    context="Sample.Periodic",
                ),
            ],
        )
        for i in range(6)
    ],
)


class ActivityService(FixedService):
    async def transaction_detail(
        self, transaction_id: str, station_id: str | None = None
    ) -> TransactionDetail:
        if transaction_id == LIVE_DETAIL.transaction_id:
            return LIVE_DETAIL
        return await super().transaction_detail(transaction_id, station_id)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """A running transaction's duration counts from now: now is fixed."""
    monkeypatch.setattr(screens, "utc_now", lambda: T0 + timedelta(minutes=27, seconds=5))


class QuietService(ActivityService):
    """A site where nothing has happened yet: no messages, live or stored."""

    def subscribe(self, maxsize: int | None = None) -> FixedSubscription:
        return FixedSubscription([])

    async def list_messages(self, **_: Any) -> list[MessageView]:
        return []


def app(service: FixedService | None = None) -> CsmsConsole:
    console = CsmsConsole(service=service or ActivityService())  # type: ignore[arg-type]
    console.follow = False
    return console


# (name, keys, terminal size, service): the ended detail at 130×30 is test_snapshots'
# transaction-detail, the message log and history at 130×30 are there too.
CASES: list[tuple[str, tuple[str, ...], tuple[int, int], type[FixedService]]] = [
    ("transaction-live", ("3", "enter"), (130, 30), ActivityService),
    ("transaction-live", ("3", "enter"), (80, 24), ActivityService),
    ("transaction-ended", ("3", "down", "enter"), (80, 24), ActivityService),
    ("messages", ("2",), (80, 24), ActivityService),
    ("messages-empty", ("2",), (80, 24), QuietService),
    ("message-history", ("2", "o"), (80, 24), ActivityService),
    ("message-history-empty", ("2", "o"), (130, 30), QuietService),
]


@pytest.mark.parametrize(
    ("name", "keys", "size", "service"),
    CASES,
    ids=[f"{n}-{w}x{h}" for n, _, (w, h), _ in CASES],
)
def test_activity_snapshot(
    snap_compare: Any,
    name: str,
    keys: tuple[str, ...],
    size: tuple[int, int],
    service: type[FixedService],
) -> None:
    assert snap_compare(app(service()), terminal_size=size, run_before=settle(*keys))
