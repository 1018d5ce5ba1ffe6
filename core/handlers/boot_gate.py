"""What a station may send before the CSMS has accepted its boot.

After a BootNotificationResponse of **Pending**, a station sends nothing unsolicited until it is
Accepted — only what the CSMS asks for with TriggerMessage (2.0.1 B02.FR.02/B02.FR.03, 1.6
§4.2.1 "Pending"); after **Rejected** it sends nothing but its next BootNotification (2.0.1
B03, 1.6 §4.2.1). The CSMS answers anything else with a SecurityError CALLERROR (2.0.1 B02.FR.09
and B03.FR.06 — TC_B_30 — and the same error code, which 1.6's RPC framework has too) and
neither runs nor stores it: a transaction started by a station that was told Pending must not
be billed.

A station that has **never** been answered is not refused: its boot status is unknown, not
Pending. That is the normal state of a station that reconnects without booting again (2.0.1
Part 4 §5.4 tells it not to repeat its BootNotification), including one moved here from another
CSMS — the requirements above are conditional on a non-Accepted answer.

Accepted is the state of nearly every message, so it is remembered for ``ACCEPTED_TTL``
seconds per station instead of read for each one; a BootNotification handled here forgets it at
once, one handled by another manager within the TTL.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta

from core.clock import Clock
from core.store.models import CallState
from core.store.protocols import CallStore, RuntimeStore

ACCEPTED_TTL = 30.0
_REMEMBERED = 100_000
# How recent a TriggerMessage must be for the message it asked for to pass.
TRIGGER_WINDOW = timedelta(minutes=5)

# TriggerMessage's requestedMessage → the action the station then sends (1.6, its security
# extension's ExtendedTriggerMessage and 2.0.1 names).
_TRIGGERED_ACTION = {
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
    "SignChargePointCertificate": "SignCertificate",
}


class BootGate:
    def __init__(
        self,
        runtime: RuntimeStore,
        calls: CallStore,
        clock: Clock,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runtime, self._calls, self._clock, self._now = runtime, calls, clock, now
        self._accepted: OrderedDict[str, float] = OrderedDict()  # station → remembered until

    async def refusal(self, station_id: str, action: str) -> str | None:
        """None when the station may send ``action`` now; else why not (for the CALLERROR)."""
        if action == "BootNotification":
            self._accepted.pop(station_id, None)  # its answer may change the status
            return None
        until = self._accepted.get(station_id)
        if until is not None and until > self._now():
            return None
        details = await self._runtime.lookup_runtime_details(station_id)
        status = details.boot_status if details is not None else ""
        if status in ("", "Accepted"):
            self._remember(station_id)
            return None
        if await self._triggered(station_id, action):
            return None
        return (
            f"the station's boot was answered {status}: until it is Accepted it may send only "
            "BootNotification and what TriggerMessage asks for"
        )

    def _remember(self, station_id: str) -> None:
        self._accepted[station_id] = self._now() + ACCEPTED_TTL
        self._accepted.move_to_end(station_id)
        while len(self._accepted) > _REMEMBERED:
            self._accepted.popitem(last=False)

    async def _triggered(self, station_id: str, action: str) -> bool:
        since = self._clock.now() - TRIGGER_WINDOW
        for call in await self._calls.list_calls(station_id, limit=20):
            if call.created_at < since:
                break
            if call.action not in ("TriggerMessage", "ExtendedTriggerMessage"):
                continue
            if call.state is CallState.ERROR or call.state is CallState.TIMED_OUT:
                continue
            requested = str(call.request.get("requestedMessage", ""))
            if _TRIGGERED_ACTION.get(requested, requested) == action:
                return True
        return False
