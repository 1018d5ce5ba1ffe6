"""The pure mappings: which station an EVSE uid names, OCPP status → EVSE status, session ids."""

from __future__ import annotations

import pytest

from core.ocpi.mapping import EvseRef, evse_ref, evse_status, session_id
from core.ocpi.models import EvseStatus
from core.store.models import ConnectorStatus, Transaction


@pytest.mark.parametrize(
    ("uid", "expected"),
    [
        ("CS001", EvseRef("CS001", None)),
        ("CS001*2", EvseRef("CS001", 2)),
        ("GBTWKECS001", EvseRef("CS001", None)),  # the seed's <cc><party>E<station>
        ("DEABCECS001", EvseRef("DEABCECS001", None)),  # another party's prefix is not stripped
    ],
)
def test_evse_uid_names_the_station(uid: str, expected: EvseRef) -> None:
    assert evse_ref(uid, "GB", "TWK") == expected


def status(evse: int, value: str) -> ConnectorStatus:
    return ConnectorStatus(evse_id=evse, connector_id=evse, status=value)


def test_evse_status_from_connector_statuses() -> None:
    assert evse_status([], None) is EvseStatus.UNKNOWN
    assert evse_status([status(1, "Available")], None) is EvseStatus.AVAILABLE
    both = [status(1, "Available"), status(2, "Charging")]
    assert evse_status(both, None) is EvseStatus.CHARGING
    assert evse_status(both, 1) is EvseStatus.AVAILABLE
    assert evse_status([status(1, "Faulted")], 1) is EvseStatus.OUTOFORDER
    assert evse_status([status(0, "Unavailable"), status(1, "Available")], 1) is (
        EvseStatus.INOPERATIVE
    )


def test_session_id_fits_ocpi() -> None:
    assert session_id(Transaction("CS1", "42")) == "CS1-42"
    long = session_id(Transaction("S" * 20, "f" * 36))
    assert len(long) == 36
    assert long == session_id(Transaction("S" * 20, "f" * 36))
