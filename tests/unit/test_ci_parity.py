""".ci/run and noxfile.py run the same checks: every step .ci/run reports has a nox session, and
the steps that are one command run the same command in both."""

from __future__ import annotations

import functools
import importlib.util
import re
import shlex
from pathlib import Path
from types import ModuleType

import nox.registry

ROOT = Path(__file__).resolve().parents[2]
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@functools.cache  # once: nox refuses a session registered twice
def load_noxfile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("noxfile", ROOT / "noxfile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # registers its sessions with nox
    return module


def ci_steps() -> dict[str, str]:
    """Step name → its command as written in .ci/run ("" for the tests step, run inline)."""
    steps = {m[1]: m[2] for m in re.finditer(r'^step "([^"]+)" (.+)$', CI_RUN, re.M)}
    # The tests step runs inline and reports through finish (finish NAME STATUS START).
    for m in re.finditer(r'^finish ([\w-]+) "\$status"', CI_RUN, re.M):
        steps[m[1]] = ""
    return steps


def test_every_ci_step_has_a_session() -> None:
    noxfile = load_noxfile()
    sessions = set(nox.registry.get())
    steps = ci_steps()
    # Guards against reading nothing: these steps are in .ci/run today.
    assert {"tests", "ruff check", "mypy (strict)", "import-linter", "first run"} <= set(steps)
    missing = [name for name in steps if noxfile.CI_STEPS.get(name) not in sessions]
    assert not missing, f".ci/run steps without a nox session (noxfile.CI_STEPS): {missing}"
    assert set(noxfile.nox.options.sessions) == set(noxfile.CI_STEPS.values())


def test_single_command_steps_run_the_same_command() -> None:
    noxfile = load_noxfile()
    for name, command in ci_steps().items():
        if name in noxfile.COMMANDS:
            assert tuple(shlex.split(command)) == noxfile.COMMANDS[name], name
    assert set(noxfile.COMMANDS) <= set(ci_steps())


def test_the_tests_and_install_steps_match() -> None:
    # What the tests session and the first-run sessions do, as .ci/run writes it.
    assert ".venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest\n" in CI_RUN
    assert re.search(r'^plain_install\(\) \{ .*"\$plain/bin/pip" install -e \.; \}$', CI_RUN, re.M)
    assert re.search(r'^wheel_install\(\) \{ .*"\$wheel/bin/pip" install \.; \}$', CI_RUN, re.M)
    assert "export CSMS_REQUIRE_SERVICES=1\n" in CI_RUN
    noxfile = load_noxfile()
    assert noxfile.CI_ENV["CSMS_REQUIRE_SERVICES"] == "1"
