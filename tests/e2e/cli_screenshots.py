"""Regenerate the README's screenshots of the simulator's command line:
``python -m tests.e2e.cli_screenshots`` writes ``screenshots/simulate.svg`` and
``screenshots/replay-diff.svg``.

The commands run for real, as their own processes, against an embedded core whose address is in
the working directory's ``config.toml`` (so what the screenshot shows is the whole command), and
their output is drawn as a terminal transcript. The fleet, its seed and the recorded station are
fixed; times and latencies are this run's."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

from core.config import load_config
from core.runtime import Csms
from tests.e2e.processes import CSMS_TUI, write_config

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "screenshots"
WIDTH = 120


class Transcript:
    """Commands and their output, as a terminal shows them."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.console = Console(
            record=True,
            width=WIDTH,
            file=io.StringIO(),
            force_terminal=True,
            color_system="truecolor",
        )

    def note(self, text: str) -> None:
        self.console.print(Text(f"# {text}", style="dim italic"))

    async def run(self, *args: str) -> str:
        self.console.print(Text("$ ", style="bold green") + Text(" ".join(["csms-tui", *args])))
        process = await asyncio.create_subprocess_exec(
            str(CSMS_TUI),
            *args,
            cwd=self.cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        # The live summary (stderr) as it scrolled by, then the final summary (stdout).
        for line in err.decode().splitlines():
            self.console.print(Text(line, style="yellow"))
        for line in out.decode().splitlines():
            self.console.print(Text(line))
        return out.decode()

    def save(self, name: str, title: str) -> None:
        OUT.mkdir(exist_ok=True)
        self.console.save_svg(str(OUT / name), title=title)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="csms-screens-") as tmp:
        recorded_at, replayed_at = Path(tmp) / "recorded", Path(tmp) / "replayed"
        for directory in (recorded_at, replayed_at):
            directory.mkdir()
            write_config(directory, "config.toml")  # the name the commands look for
        examples = recorded_at / "examples" / "simulate"
        examples.mkdir(parents=True)
        shutil.copy(ROOT / "examples" / "simulate" / "fleet-50.toml", examples)

        async with Csms(load_config(recorded_at / "config.toml")):
            shot = Transcript(recorded_at)
            await shot.run("simulate", "-s", "examples/simulate/fleet-50.toml", "--seed", "1")
            shot.save("simulate.svg", "csms-tui simulate")
            await asyncio.sleep(2.0)  # the message log is written in batches
            record = Transcript(recorded_at)
            await record.run("record", "FLEET16-001", "--out", "fleet16.jsonl")
        shutil.copy(recorded_at / "fleet16.jsonl", replayed_at)

        # Replayed against another CSMS, which does not know the driver's token.
        async with Csms(load_config(replayed_at / "config.toml")):
            shot = Transcript(replayed_at)
            shot.note("the same station's session, replayed against a CSMS that lacks its token")
            await shot.run("replay", "fleet16.jsonl", "--speed", "0")
            shot.save("replay-diff.svg", "csms-tui replay")
    subprocess.run(
        ["ls", "-l", str(OUT / "simulate.svg"), str(OUT / "replay-diff.svg")], check=True
    )


if __name__ == "__main__":
    asyncio.run(main())
