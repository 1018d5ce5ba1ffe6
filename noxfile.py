"""The checks CI runs (`.ci/run`), one nox session each, for running them one at a time locally.

    nox                  # everything, in .ci/run's order
    nox -s lint mypy     # some of it
    nox -s tests -- tests/unit -x    # arguments after -- go to pytest

The sessions run the very commands of `.ci/run`, with the tools of the project's `.venv` (the
`tests` session builds it, as the README's test command does); nox makes no environment of its
own. What nox does not do is install mosquitto or PostgreSQL: `.ci/run` installs them with
apt-get when they are missing. tests/unit/test_ci_parity.py fails when a step of `.ci/run` has
no session here or runs another command.
"""

from __future__ import annotations

import os
import tempfile

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = [
    "tests",
    "lint",
    "format_check",
    "mypy",
    "lint_imports",
    "first_run",
    "first_run_wheel",
]

VENV = ".venv"

# The command of each `step NAME COMMAND...` line of .ci/run, as written there.
COMMANDS: dict[str, tuple[str, ...]] = {
    "ruff check": (f"{VENV}/bin/ruff", "check", "."),
    "ruff format": (f"{VENV}/bin/ruff", "format", "--check", "."),
    "mypy (strict)": (f"{VENV}/bin/mypy",),
    "import-linter": (f"{VENV}/bin/lint-imports",),
}

# Every step name .ci/run reports → the session here that runs it.
CI_STEPS: dict[str, str] = {
    "tests": "tests",
    "ruff check": "lint",
    "ruff format": "format_check",
    "mypy (strict)": "mypy",
    "import-linter": "lint_imports",
    "plain install (no extras)": "first_run",
    "first run": "first_run",
    "wheel install (no extras)": "first_run_wheel",
    "first run from the wheel": "first_run_wheel",
}

# As .ci/run: a missing test server fails instead of skipping its tests.
CI_ENV = {"CI": "true", "CSMS_REQUIRE_SERVICES": "1", "PIP_QUIET": os.environ.get("PIP_QUIET", "1")}


@nox.session
def tests(session: nox.Session) -> None:
    """The README's test command: .venv with the test extras, then the whole suite."""
    session.run("python3", "-m", "venv", VENV, external=True, env=CI_ENV)
    session.run(f"{VENV}/bin/pip", "install", "-e", ".[test]", external=True, env=CI_ENV)
    session.run(f"{VENV}/bin/python", "-m", "pytest", *session.posargs, external=True, env=CI_ENV)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check."""
    session.run(*COMMANDS["ruff check"], external=True)


@nox.session
def format_check(session: nox.Session) -> None:
    """ruff format --check (formats nothing)."""
    session.run(*COMMANDS["ruff format"], external=True)


@nox.session
def mypy(session: nox.Session) -> None:
    """mypy --strict over the packages pyproject.toml names."""
    session.run(*COMMANDS["mypy (strict)"], external=True)


@nox.session
def lint_imports(session: nox.Session) -> None:
    """import-linter: core never imports the console or UI libraries."""
    session.run(*COMMANDS["import-linter"], external=True)


def _first_run(session: nox.Session, install: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory(prefix="csms-first-run.") as where:
        session.run("python3", "-m", "venv", where, external=True, env=CI_ENV)
        session.run(f"{where}/bin/pip", "install", *install, external=True, env=CI_ENV)
        session.run(
            f"{VENV}/bin/python", ".ci/first_run.py", f"{where}/bin/csms-tui", external=True
        )


@nox.session
def first_run(session: nox.Session) -> None:
    """The README's first command on `pip install -e .` without extras."""
    _first_run(session, ("-e", "."))


@nox.session
def first_run_wheel(session: nox.Session) -> None:
    """The same from a built wheel (`pip install .`), as an image or a server install gets it."""
    _first_run(session, (".",))
