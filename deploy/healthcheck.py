"""Container health check for csms-tui processes, standard library only.

``healthcheck.py http://127.0.0.1:9312/health`` — the gateway's status port or the API answers
200. ``healthcheck.py --mqtt 1883`` — for a manager, which has no port of its own: this
container holds an established TCP connection to the broker's port (read from /proc/net/tcp*).
Exit 0 when healthy, 1 otherwise."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

ESTABLISHED = "01"


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:  # noqa: S310 (a fixed local URL)
            return bool(resp.status == 200)
    except OSError:
        return False


def connected_to(port: int) -> bool:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == ESTABLISHED and int(remote.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def main(args: list[str]) -> int:
    if len(args) == 2 and args[0] == "--mqtt" and args[1].isdigit():
        return 0 if connected_to(int(args[1])) else 1
    if len(args) == 1 and args[0].startswith("http://"):
        return 0 if http_ok(args[0]) else 1
    sys.stderr.write("usage: healthcheck.py URL | --mqtt PORT\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
