"""`core` is the headless CSMS: importing all of it must not pull in the console or UI libraries."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import importlib, pkgutil, sys
import core
for module in pkgutil.walk_packages(core.__path__, "core."):
    importlib.import_module(module.name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {"csms_tui", "textual", "rich"})
print(",".join(leaked))
"""


def test_core_never_imports_the_console() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
