"""Regenerate the README's screenshots: `python -m tests.tui.make_screenshots`.

Every screen of the snapshot tests (same fixed data and clock), saved as SVG in `screenshots/`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from csms_tui import transaction_screen
from csms_tui.app import CsmsConsole
from tests.tui import test_activity_snapshots as activity
from tests.tui.test_explained_errors import explained_app
from tests.tui.test_snapshots import SCREENS, T0, app

# The activity screens of tests/tui/test_activity_snapshots.py: live data, a fixed now.
ACTIVITY = [
    ("operations", ("7",)),
    ("operation-schedule", ("7", "home", "enter")),
    ("transaction-live", ("3", "enter")),
    ("transaction-close", ("3", "enter", "x")),
]

OUT = Path(__file__).resolve().parents[2] / "screenshots"


async def shoot(
    name: str,
    keys: tuple[str, ...],
    console: CsmsConsole | None = None,
    size: tuple[int, int] = (130, 30),
) -> Path:
    console = console or app()
    async with console.run_test(size=size) as pilot:
        for _ in range(5):
            await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        for _ in range(5):  # a key's worker (w reads the stored message) may still run
            await pilot.pause()
        return Path(console.save_screenshot(f"{name}.svg", path=str(OUT)))


async def shoot_explained() -> Path:
    """An error explained beside its frames (w on the Messages tab), tall enough to read."""
    return await shoot("explained-error", ("2", "w"), explained_app(), size=(150, 64))


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, keys in SCREENS:
        path = await shoot(name, keys)
        print(path.relative_to(OUT.parent))
    # A running transaction's duration counts from now: the snapshots' fixed now.
    transaction_screen.utc_now = lambda: T0 + timedelta(minutes=27, seconds=5)
    for name, keys in ACTIVITY:
        path = await shoot(name, keys, activity.app())
        print(path.relative_to(OUT.parent))
    print((await shoot_explained()).relative_to(OUT.parent))


if __name__ == "__main__":
    asyncio.run(main())
