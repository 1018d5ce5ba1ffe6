"""The import-linter contracts in ``pyproject.toml`` hold on the code, and each one catches the
import it exists to stop. A contract that is kept proves little by itself: one with a layer in
the wrong place, or a module list that misses the package it means, is kept for ever."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.api import read_configuration  # also sets up what contracts use to report
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.layers import LayersContract
from importlinter.domain.contract import Contract

CONTRACT_TYPES: dict[str, type[Contract]] = {
    "layers": LayersContract,
    "forbidden": ForbiddenContract,
    "independence": IndependenceContract,
}
# As lint-imports reads them (TOML booleans become the strings its fields parse).
CONFIG = read_configuration(str(Path(__file__).resolve().parents[2] / "pyproject.toml"))
SESSION: dict[str, Any] = CONFIG["session_options"]
CONTRACTS: dict[str, dict[str, Any]] = {c["name"]: c for c in CONFIG["contracts_options"]}


def _contract(name: str) -> Contract:
    options = CONTRACTS[name]
    return CONTRACT_TYPES[options["type"]](name, SESSION, options)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(
        *SESSION["root_packages"],
        include_external_packages=SESSION.get("include_external_packages") == "True",
        cache_dir=None,
    )


def _kept(graph: grimp.ImportGraph, name: str) -> bool:
    # On a copy, as lint-imports does: a contract may change the graph it checks.
    kept: bool = _contract(name).check(copy.deepcopy(graph), verbose=False).kept
    return kept


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_contract_is_kept(graph: grimp.ImportGraph, name: str) -> None:
    assert _kept(graph, name)


# One import per contract that it must refuse: (contract, importer, imported). Each importer and
# imported module exists, so a contract that names modules the code no longer has fails here.
BREACHES = [
    ("core never imports the console or UI libraries", "core.events", "textual"),
    (
        "core layers: edges over the application over handlers over services over the store",
        "core.store.models",
        "core.handlers.types",
    ),
    (
        "core layers: edges over the application over handlers over services over the store",
        "core.handlers.deps",
        "core.application.service",
    ),
    (
        "core layers: edges over the application over handlers over services over the store",
        "core.services.tariff",
        "core.handlers.router",
    ),
    (
        "core layers: edges over the application over handlers over services over the store",
        "core.application.service",
        "core.api.server",
    ),
    (
        "core layers: edges over the application over handlers over services over the store",
        "core.api.server",
        "core.runtime",
    ),
    (
        "core station side: gateway, manager and syncer over handlers over the transport",
        "core.handlers.router",
        "core.gateway.server",
    ),
    (
        "core station side: gateway, manager and syncer over handlers over the transport",
        "core.sync.syncer",
        "core.manager",
    ),
    (
        "the application and its edges never reach the station side",
        "core.application.service",
        "core.transport.base",
    ),
    (
        "the application and its edges never reach the station side",
        "core.ocpi.commands",
        "core.gateway.server",
    ),
    (
        "csms_tui uses the application and the composition root, not the parts they wire",
        "csms_tui.cli_tools",
        "core.store.factory",
    ),
    (
        "csms_tui uses the application and the composition root, not the parts they wire",
        "csms_tui.embedded",
        "core.handlers.call_maker",
    ),
    (
        "OCPP 1.6 and 2.0.1 handlers are independent of each other",
        "core.handlers.ocpp201.simple",
        "core.handlers.ocpp16.routes",
    ),
]


def test_every_contract_has_a_breach_below() -> None:
    assert {name for name, _, _ in BREACHES} == set(CONTRACTS)


@pytest.mark.parametrize(("name", "importer", "imported"), BREACHES)
def test_a_breach_breaks_its_contract(
    graph: grimp.ImportGraph, name: str, importer: str, imported: str
) -> None:
    assert {importer, imported} <= graph.modules
    assert _kept(graph, name)
    breached = copy.deepcopy(graph)
    breached.add_import(importer=importer, imported=imported, line_number=1, line_contents="import")
    assert not _kept(breached, name)
