"""What a simulation runs: station profiles, scenarios and answer policies.

Read from TOML as strictly as the core's configuration: an unknown key or a bad value stops the
run with the file, the key and the reason, since a typo in a scenario would otherwise simulate
something else than intended without saying so. See ``examples/simulate/`` for annotated files.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    model_validator,
)

from core.config import (
    ConfigError,
    Duration,
    PositiveDuration,
    PositiveInt,
    Section,
    parse_duration,
)

# A station password must be 16-40 characters (OCPP's BasicAuthPassword); one shared by every
# simulated station unless a profile names its own.
DEFAULT_PASSWORD = "simulated-station-pw"
DEFAULT_TOKEN = "SIMTOKEN01"

Policy = Literal["accept", "reject", "error", "late", "never"]

# Stop reasons both versions know (1.6 Reason, 2.0.1 ReasonEnumType), so one scenario serves
# a fleet of either.
StopReason = Literal[
    "Local", "Remote", "EVDisconnected", "Reboot", "DeAuthorized", "EmergencyStop", "PowerLoss"
]

# 1.6's ChargePointErrorCode, which a Faulted StatusNotification carries. 2.0.1 reports the
# status alone (the problem itself would go in a NotifyEvent).
ERROR_CODES_16 = (
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "OtherError",
    "OverCurrentFailure",
    "OverVoltage",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "WeakSignal",
)


class Answer(Section):
    """How a station answers one kind of CSMS call.

    ``accept``: a schema-valid answer that says yes (and acts on it: a Reset reboots, a remote
    start charges); ``reject``: the same answer saying no, where the message has a refusal;
    ``error``: a CALLERROR with ``error_code``; ``late``: the accept (or, with
    ``then = "reject"``, the reject) answer after ``delay``; ``never``: no answer at all."""

    policy: Policy = "accept"
    delay: Duration = 0.0
    then: Literal["accept", "reject"] = "accept"
    error_code: str = "InternalError"
    description: str = "simulated error"

    @model_validator(mode="after")
    def _late_needs_delay(self) -> Self:
        if self.policy == "late" and self.delay <= 0:
            raise ValueError("a late answer needs a delay, e.g. late:5s")
        return self


def parse_answer(value: Any) -> Any:
    """The short form: ``accept``, ``reject``, ``never``, ``error`` or ``error:CODE``,
    ``late:DURATION`` or ``late:DURATION:reject``. A table is taken as it is."""
    if not isinstance(value, str):
        return value
    head, _, rest = value.partition(":")
    if head in ("accept", "reject", "never") and not rest:
        return {"policy": head}
    if head == "error":
        return {"policy": "error", "error_code": rest} if rest else {"policy": "error"}
    if head == "late" and rest:
        delay, _, then = rest.partition(":")
        answer: dict[str, Any] = {"policy": "late", "delay": parse_duration(delay)}
        if then:
            answer["then"] = then
        return answer
    raise ValueError(
        f"{value!r} is not an answer policy: accept, reject, never, error[:CODE] or "
        "late:DURATION[:reject]"
    )


AnswerSpec = Annotated[Answer, BeforeValidator(parse_answer)]
ACCEPT = Answer()


def _check_fault_code(code: str) -> str:
    if code not in ERROR_CODES_16:
        raise ValueError(
            f"{code!r} is not a 1.6 ChargePointErrorCode ({', '.join(ERROR_CODES_16)})"
        )
    return code


class WaitStep(Section):
    """Do nothing for a while (connected, heartbeating, answering the CSMS)."""

    do: Literal["wait"]
    duration: PositiveDuration


class SessionStep(Section):
    """A charging session: plug in, authorise, start, meter values every interval, stop, unplug."""

    do: Literal["session"]
    evse: PositiveInt = 1
    connector: PositiveInt = 1
    # The token presented; empty: the profile's tokens in turn.
    token: str = ""
    # Charging time from the transaction's start to its stop.
    duration: PositiveDuration = 60.0
    # From plugging in to presenting the token.
    plug_delay: Duration = 1.0
    stop_reason: StopReason = "Local"
    # Run alongside the next steps instead of before them, e.g. to go offline mid-session.
    background: bool = False


class FaultStep(Section):
    """A connector turns Faulted, then Available again after ``duration``."""

    do: Literal["fault"]
    evse: PositiveInt = 1
    connector: PositiveInt = 1
    error_code: Annotated[str, AfterValidator(_check_fault_code)] = "GroundFailure"
    duration: PositiveDuration = 10.0


class OfflineStep(Section):
    """The connection drops for ``duration``; transaction messages meanwhile are queued and
    sent in order once the station is back (without a new BootNotification)."""

    do: Literal["offline"]
    duration: PositiveDuration = 10.0


class RebootStep(Section):
    """Running sessions stop (reason Reboot), the connection closes, and after ``downtime`` the
    station connects again and sends BootNotification."""

    do: Literal["reboot"]
    downtime: Duration = 2.0


Step = Annotated[
    WaitStep | SessionStep | FaultStep | OfflineStep | RebootStep, Field(discriminator="do")
]


class Scenario(Section):
    """The steps every station of a profile runs, ``repeat`` times, once it has booted."""

    repeat: PositiveInt = 1
    # Each station starts its steps at a random moment within this, so a thousand stations do
    # not all plug in during the same second.
    start_within: Duration = 0.0
    steps: list[Step] = Field(default_factory=list)


def default_scenario(session_duration: float = 10.0, start_within: float = 2.0) -> Scenario:
    """Without a scenario file: one session on the first connector."""
    return Scenario(
        start_within=start_within,
        steps=[SessionStep(do="session", duration=session_duration)],
    )


def _check_password(value: str) -> str:
    if value and not 16 <= len(value) <= 40:
        raise ValueError("a station password has 16 to 40 characters (OCPP BasicAuthPassword)")
    return value


class Profile(Section):
    """A kind of station: ``count`` of them, ids ``id_prefix`` + a number (SIM-001, …)."""

    name: str = ""
    count: PositiveInt = 1
    ocpp: Literal["1.6", "2.0.1"] = "1.6"
    id_prefix: str = "SIM-"
    vendor: str = "csms-tui"
    model: str = "Simulator"
    firmware_version: str = "1.0"
    # Connectors per EVSE: [1, 1] is two EVSEs with one connector each. 1.6 numbers the
    # connectors 1, 2, … across the EVSEs.
    evses: list[PositiveInt] = Field(default_factory=lambda: [1], min_length=1)
    # -1 no auth (the CSMS must allow it), 0 basic auth, 1 TLS + basic auth (wss:// and
    # ca_file), 2 TLS + client certificate (client_cert and client_key too).
    security_profile: Literal[-1, 0, 1, 2] = 0
    password: Annotated[str, AfterValidator(_check_password)] = DEFAULT_PASSWORD
    ca_file: str = ""
    client_cert: str = ""
    client_key: str = ""
    # Charging power in W: the energy register rises by this much per hour of charging.
    meter_rate: float = Field(default=11_000.0, ge=0)
    # The register's value in Wh before the first session.
    meter_start: float = Field(default=0.0, ge=0)
    # MeterValues (1.6) / TransactionEvent Updated (2.0.1) while charging, every …
    meter_interval: PositiveDuration = 60.0
    # A session the CSMS starts (RemoteStartTransaction / RequestStartTransaction) charges until
    # it is stopped remotely, or this long.
    remote_session_duration: PositiveDuration = 60.0
    # 0: the interval the CSMS gives in its BootNotification answer.
    heartbeat_interval: Duration = 0.0
    tokens: list[str] = Field(default_factory=lambda: [DEFAULT_TOKEN], min_length=1)
    scenario: str = "default"
    # Per action, over the file's [answers]; "*" for every action not named.
    answers: dict[str, AnswerSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.security_profile == 2 and not (self.client_cert and self.client_key):
            raise ValueError("security profile 2 needs client_cert and client_key")
        limit = 20 if self.ocpp == "1.6" else 36  # idTag (1.6), idToken (2.0.1)
        for token in self.tokens:
            if not 0 < len(token) <= limit:
                raise ValueError(f"token {token!r}: OCPP {self.ocpp} takes 1 to {limit} characters")
        return self

    def station_ids(self) -> list[str]:
        width = max(3, len(str(self.count)))
        return [f"{self.id_prefix}{n:0{width}d}" for n in range(1, self.count + 1)]


class Run(Section):
    # 0: until every station has run its scenario; otherwise stations stay connected
    # (heartbeating, answering the CSMS) until this much time has passed.
    duration: Duration = 0.0
    # New connections per second, so a large fleet ramps up instead of arriving at once.
    connect_rate: float = Field(default=100.0, gt=0)
    # How long a station waits for the CSMS's answer to one of its calls.
    call_timeout: PositiveDuration = 30.0
    # Wait between connection attempts; a station gives up after `connect_attempts` failed
    # attempts in a row (an unknown id or a wrong password will not fix itself).
    reconnect_delay: PositiveDuration = 2.0
    connect_attempts: PositiveInt = 5


class AnswersFile(Section):
    """An answer-policy file: just the ``[answers]`` table."""

    answers: dict[str, AnswerSpec] = Field(default_factory=dict)


class SimulationFile(Section):
    run: Run = Field(default_factory=Run)
    answers: dict[str, AnswerSpec] = Field(default_factory=dict)
    profile: list[Profile] = Field(default_factory=list)
    scenario: dict[str, Scenario] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> Self:
        seen: dict[str, str] = {}
        for index, profile in enumerate(self.profile):
            if profile.scenario != "default" and profile.scenario not in self.scenario:
                raise ValueError(
                    f"profile[{index}]: scenario {profile.scenario!r} is not defined "
                    f"(defined: {', '.join(sorted(self.scenario)) or 'none'})"
                )
            for station_id in profile.station_ids():
                if station_id in seen:
                    raise ValueError(
                        f"profile[{index}]: station id {station_id} is also made by "
                        f"{seen[station_id]}; give the profiles different id_prefix values"
                    )
                seen[station_id] = f"profile[{index}]"
        return self


def _problems(source: str, exc: ValidationError) -> ConfigError:
    problems = []
    for err in exc.errors():
        key = ""
        for part in err["loc"]:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        reason = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        elif err["type"] == "missing":
            reason = "required key is missing"
        problems.append((source, key, reason))
    return ConfigError(problems)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError([(str(path), "", f"cannot read it: {exc.strerror or exc}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([(str(path), "", f"not valid TOML: {exc}")]) from exc


def load_simulation(path: Path) -> SimulationFile:
    """A scenario file; raises :class:`ConfigError` naming the file, the key and the reason."""
    try:
        return SimulationFile.model_validate(_read_toml(path))
    except ValidationError as exc:
        raise _problems(str(path), exc) from exc


def load_answers(path: Path) -> dict[str, Answer]:
    """An answer-policy file (an ``[answers]`` table, as in a scenario file)."""
    try:
        return AnswersFile.model_validate(_read_toml(path)).answers
    except ValidationError as exc:
        raise _problems(str(path), exc) from exc


def answer_option(text: str) -> tuple[str, Answer]:
    """``--answer ACTION=POLICY`` (the short form): raises ValueError saying what is wrong."""
    action, sep, policy = text.partition("=")
    if not sep or not action:
        raise ValueError(f"{text!r}: expected ACTION=POLICY, e.g. Reset=error:InternalError")
    try:
        return action, Answer.model_validate(parse_answer(policy))
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ValueError(f"{text!r}: {reason}") from exc
