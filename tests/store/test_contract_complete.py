"""The store contract suite covers every method of every store role: a method added to a role
Protocol without a contract test fails here, so the suite stays complete."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from core.store import protocols

CONTRACT = Path(__file__).parent / "contract"

# Where each role's contract lives. A new role Protocol needs a module, and a line here.
ROLE_MODULES = {
    "StationStore": "test_stations.py",
    "RuntimeStore": "test_runtime.py",
    "SettingsStore": "test_settings.py",
    "CertificateStore": "test_certificates.py",
    "TriggerStore": "test_triggers.py",
    "TokenStore": "test_tokens.py",
    "TransactionStore": "test_transactions.py",
    "MeterValueStore": "test_meter_values.py",
    "DeviceModelStore": "test_device_model.py",
    "EvChargingStore": "test_ev_charging.py",
    "StationEventStore": "test_station_events.py",
    "MessageLogStore": "test_message_log.py",
    "CallStore": "test_calls.py",
    "OcpiStore": "test_ocpi.py",
    "LocationStore": "test_locations.py",
    "ReservationStore": "test_reservations.py",
    "ApiTokenStore": "test_api_tokens.py",
    "LeniencyStore": "test_leniency.py",
    "Store": "test_engine.py",  # what Store adds to the roles: its lifecycle
}


def _protocols() -> dict[str, type]:
    return {
        name: cls
        for name, cls in vars(protocols).items()
        if inspect.isclass(cls)
        and cls.__module__ == protocols.__name__
        and getattr(cls, "_is_protocol", False)
    }


def _declared_methods(protocol: type) -> set[str]:
    """The methods the Protocol itself declares (not those it inherits from other roles)."""
    return {name for name, value in vars(protocol).items() if inspect.iscoroutinefunction(value)}


def _called_methods(module: Path) -> set[str]:
    """Names called as methods anywhere in the module (``store.x(...)``, ``m.x(...)``): a name
    that is only mentioned, in a comment or a string, does not count."""
    tree = ast.parse(module.read_text())
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def test_every_protocol_has_a_contract_module() -> None:
    assert set(_protocols()) == set(ROLE_MODULES)
    for module in ROLE_MODULES.values():
        assert (CONTRACT / module).is_file(), module


@pytest.mark.parametrize("protocol", sorted(ROLE_MODULES))
def test_every_method_of_the_role_is_called_by_its_contract(protocol: str) -> None:
    declared = _declared_methods(_protocols()[protocol])
    assert declared, f"{protocol} declares no methods"
    untested = declared - _called_methods(CONTRACT / ROLE_MODULES[protocol])
    assert not untested, f"no contract test in {ROLE_MODULES[protocol]} calls {sorted(untested)}"
