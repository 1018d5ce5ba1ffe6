"""Regenerate the README's screenshots: `python -m tests.tui.make_screenshots`.

Every screen of the snapshot tests (same fixed data and clock), saved as SVG in `screenshots/`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.tui.test_snapshots import SCREENS, app

OUT = Path(__file__).resolve().parents[2] / "screenshots"


async def shoot(name: str, keys: tuple[str, ...]) -> Path:
    console = app()
    async with console.run_test(size=(130, 30)) as pilot:
        for _ in range(5):
            await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        return Path(console.save_screenshot(f"{name}.svg", path=str(OUT)))


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, keys in SCREENS:
        path = await shoot(name, keys)
        print(path.relative_to(OUT.parent))


if __name__ == "__main__":
    asyncio.run(main())
