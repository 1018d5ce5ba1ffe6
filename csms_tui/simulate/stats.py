"""What a simulation counts, the one-line live summary and the final JSON summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Problems are kept for the summary up to this many (the first ones, each text once): a fleet
# with a wrong password would otherwise fill memory with a thousand copies of one line.
MAX_PROBLEMS = 20


@dataclass
class Stats:
    stations: int = 0
    booted: int = 0  # stations whose BootNotification was accepted (at least once)
    gave_up: int = 0  # stations that never got connected and booted
    boot_refusals: int = 0  # Pending or Rejected boot answers
    connect_failures: int = 0
    reconnects: int = 0
    sessions_started: int = 0
    sessions_completed: int = 0
    sessions_refused: int = 0  # token not accepted (Authorize) or connector not free
    sessions_deauthorized: int = 0  # started, then the CSMS refused the token in its answer
    energy_wh: float = 0.0
    calls_sent: int = 0
    call_results: int = 0
    call_errors: int = 0  # CALLERROR answers from the CSMS
    call_timeouts: int = 0
    queued_sent: int = 0  # transaction messages held while offline, sent once back
    faults: int = 0
    offline_periods: int = 0
    reboots: int = 0
    calls_by_action: Counter[str] = field(default_factory=Counter)
    csms_calls: Counter[str] = field(default_factory=Counter)  # by action
    answers: Counter[str] = field(default_factory=Counter)  # by policy
    connect_ms: list[float] = field(default_factory=list)
    # The event loop's time when the run started (after registration) and when the last
    # station to boot did: how long a fleet took to come up.
    started_at: float = 0.0
    last_first_boot: float = 0.0
    register_s: float = 0.0
    problems: list[str] = field(default_factory=list)
    _problem_set: set[str] = field(default_factory=set, repr=False)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS and text not in self._problem_set:
            self._problem_set.add(text)
            self.problems.append(text)

    @property
    def errors(self) -> int:
        return self.call_errors + self.call_timeouts + self.connect_failures + self.gave_up

    def line(self, up: int, running: int, elapsed: float) -> str:
        """The live summary: one line, rewritten in place on a terminal."""
        return (
            f"{elapsed:6.1f}s  up {up}/{self.stations}  booted {self.booted}  "
            f"sessions {running} running, {self.sessions_completed} done"
            f"{f', {self.sessions_refused} refused' if self.sessions_refused else ''}  "
            f"calls {self.calls_sent} sent  CSMS calls {sum(self.answers.values())} handled  "
            f"errors {self.errors}"
        )

    def summary(self, up: int, elapsed: float) -> dict[str, Any]:
        """The final summary (``--json``): stable keys, counts and figures."""
        latencies = sorted(self.connect_ms)

        def pct(q: float) -> float | None:
            if not latencies:
                return None
            return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1)

        return {
            "stations": self.stations,
            "up": up,
            "booted": self.booted,
            "gave_up": self.gave_up,
            "elapsed_s": round(elapsed, 2),
            "register_s": round(self.register_s, 2),
            "all_booted_s": round(self.last_first_boot - self.started_at, 2)
            if self.booted
            else None,
            "connect_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": pct(1.0)},
            "sessions": {
                "started": self.sessions_started,
                "completed": self.sessions_completed,
                "refused": self.sessions_refused,
                "deauthorized": self.sessions_deauthorized,
            },
            "energy_wh": round(self.energy_wh, 1),
            "calls": {
                "sent": self.calls_sent,
                "results": self.call_results,
                "errors": self.call_errors,
                "timeouts": self.call_timeouts,
                "by_action": dict(sorted(self.calls_by_action.items())),
            },
            "csms_calls": {
                "received": sum(self.csms_calls.values()),
                "by_action": dict(sorted(self.csms_calls.items())),
                "by_policy": dict(sorted(self.answers.items())),
            },
            "events": {
                "boot_refusals": self.boot_refusals,
                "connect_failures": self.connect_failures,
                "reconnects": self.reconnects,
                "faults": self.faults,
                "offline_periods": self.offline_periods,
                "queued_sent": self.queued_sent,
                "reboots": self.reboots,
            },
            "errors": self.errors,
            "problems": self.problems,
        }
