"""TOML configuration → pydantic models.

Sections follow the seed's config package (``api``, ``ocpp``, ``transport``, ``storage``,
``observability``, ``ocpi``, ``contract_cert_validator``, ``contract_cert_provider``,
``charge_station_cert_provider``, ``tariff_service``) plus ``gateway``, ``manager`` and ``tui``.
Every section forbids unknown keys: a typo fails at start with the file, the key and the reason.
Durations accept Go-style strings (``"5m"``, ``"10s"``, ``"1h30m"``) or plain seconds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import tomlkit
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float:
    """``"1h30m"`` → 5400.0; numbers are seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value:
        raise ValueError("expected a duration such as '30s', '5m' or a number of seconds")
    pos, total = 0, 0.0
    for match in _DURATION.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(value):
        raise ValueError(f"{value!r} is not a duration such as '30s', '5m' or '1h30m'")
    return total


Duration = Annotated[float, BeforeValidator(parse_duration)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiConfig(Section):
    addr: str = "127.0.0.1:9410"
    host: str = "localhost"
    ws_port: int = 9310
    wss_port: int = 9311
    org_name: str = "Thoughtworks"
    enabled: bool = True
    cors_origins: list[str] = Field(default_factory=list)


class OcppConfig(Section):
    heartbeat_interval: Duration = 300.0
    ocpp16_enabled: bool = True
    ocpp201_enabled: bool = True


class MqttConfig(Section):
    urls: list[str] = Field(default_factory=lambda: ["mqtt://localhost:1883"])
    prefix: str = "cs"
    group: str = "manager"
    connect_timeout: Duration = 10.0
    connect_retry_delay: Duration = 1.0
    keep_alive_interval: Duration = 10.0


class TransportConfig(Section):
    type: Literal["local", "mqtt"] = "local"
    mqtt: MqttConfig = Field(default_factory=MqttConfig)


class SqliteConfig(Section):
    path: str = "csms.db"


class PostgresConfig(Section):
    dsn: str = "postgresql://localhost/csms"
    pool_size: int = 10


class StorageConfig(Section):
    type: Literal["sqlite", "postgres"] = "sqlite"
    sqlite: SqliteConfig = Field(default_factory=SqliteConfig)
    postgres: PostgresConfig = Field(default_factory=PostgresConfig)
    message_log_retention: int = 100_000


class ObservabilityConfig(Section):
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    log_file: str = "csms.log"
    otel_collector_addr: str = ""
    tls_keylog_file: str = ""


class GatewayConfig(Section):
    enabled: bool = True
    ws_addr: str = "127.0.0.1:9310"
    wss_addr: str = ""
    status_addr: str = "127.0.0.1:9312"
    tls_server_cert: str = ""
    tls_server_key: str = ""
    tls_trust_certs: list[str] = Field(default_factory=list)
    org_names: list[str] = Field(default_factory=lambda: ["Thoughtworks"])
    trust_proxy: bool = False
    call_timeout: Duration = 30.0
    max_frame_size: int = 65536
    ping_interval: Duration = 60.0
    listen_backlog: int = 4096
    default_subprotocol: str = "ocpp2.0.1"


class TuiConfig(Section):
    theme: str = "textual-dark"
    keymap: dict[str, str] = Field(default_factory=dict)
    message_window: int = 2000


class Config(Section):
    api: ApiConfig = Field(default_factory=ApiConfig)
    ocpp: OcppConfig = Field(default_factory=OcppConfig)
    transport: TransportConfig = Field(default_factory=TransportConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    gateway: GatewayConfig = Field(default_factory=GatewayConfig)
    tui: TuiConfig = Field(default_factory=TuiConfig)
    # Sections whose models are defined with their services (filled in by their owners).
    ocpi: dict[str, Any] | None = None
    contract_cert_validator: dict[str, Any] = Field(default_factory=dict)
    contract_cert_provider: dict[str, Any] = Field(default_factory=dict)
    charge_station_cert_provider: dict[str, Any] = Field(default_factory=dict)
    tariff_service: dict[str, Any] = Field(default_factory=dict)


class ConfigError(Exception):
    """A configuration problem, worded for the operator: file, key, reason."""


def load_config(path: Path | None) -> Config:
    """Load ``path`` (or the built-in defaults when None)."""
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from exc
    try:
        data = tomlkit.parse(text).unwrap()
    except Exception as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return config_from_dict(data, source=str(path))


def config_from_dict(data: dict[str, Any], source: str = "<config>") -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            reason = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{source}: {key}: {reason}")
        raise ConfigError("\n".join(problems)) from exc
