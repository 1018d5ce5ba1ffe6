"""Every third-party module that `core` or `csms_tui` imports is a declared run-time dependency.

A package that arrives only through another one (click through typer, once) or only with the test
extras (schemathesis brings click) makes the README's first command fail on a fresh machine while
the suite stays green. This reads every import statement, including those inside functions, and
maps it to the distribution that provides it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = {"core", "csms_tui"}


def _imported_top_levels() -> dict[str, str]:
    """Top-level module → the first file importing it."""
    found: dict[str, str] = {}
    for package in OWN:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        _normalise(re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0]) for req in project["dependencies"]
    }


def test_every_run_time_import_is_a_declared_dependency() -> None:
    providers = packages_distributions()
    declared = _declared()
    undeclared = []
    for module, where in sorted(_imported_top_levels().items()):
        if module in OWN or module in sys.stdlib_module_names:
            continue
        dists = {_normalise(d) for d in providers.get(module, [])}
        if not dists:
            undeclared.append(f"{module} ({where}): no installed distribution provides it")
        elif not dists & declared:
            undeclared.append(
                f"{module} ({where}): from {sorted(dists)}, not in [project] dependencies"
            )
    assert not undeclared, "\n".join(undeclared)


def test_the_probe_sees_the_imports_it_must_check() -> None:
    # Guards the test above against reading nothing: these are imported at run time today.
    imported = _imported_top_levels()
    assert {"textual", "aiohttp", "typer", "paho"} <= imported.keys()
