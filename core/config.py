"""TOML configuration → pydantic models.

Sections follow the seed's config package (``api``, ``ocpp``, ``transport``, ``storage``,
``observability``, ``ocpi``, ``contract_cert_validator``, ``contract_cert_provider``,
``charge_station_cert_provider``, ``tariff_service``) plus ``gateway``, ``manager`` and ``tui``.
Every section forbids unknown keys: a typo fails at start with the file, the key and the reason.
Durations accept Go-style strings (``"5m"``, ``"10s"``, ``"1h30m"``) or plain seconds.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import tomlkit
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from core.leniency import NAMES as LENIENCY_NAMES
from core.leniency import Leniency
from core.ocpp.types import OcppVersion

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


def split_addr(addr: str) -> tuple[str, int]:
    """``"127.0.0.1:9410"`` → ("127.0.0.1", 9410); ``"[::1]:80"`` → ("::1", 80).
    An empty host means every interface (as Go's ``":9410"``)."""
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{addr!r} is not HOST:PORT (port 0-65535, 0 = any free port)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1; an empty host means every interface."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_addr(addr: str) -> str:
    split_addr(addr)
    return addr


def _check_optional_addr(addr: str) -> str:
    return _check_addr(addr) if addr else addr


def _check_subprotocol(name: str) -> str:
    known = [version.value for version in OcppVersion]
    if name and name not in known:
        raise ValueError(
            f"{name!r} is not an OCPP subprotocol the gateway speaks (one of: {', '.join(known)})"
        )
    return name


def _check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise ValueError("must be a TCP port between 1 and 65535")
    return port


def _check_networks(values: list[str]) -> list[str]:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an IP address or network such as 10.0.0.5 or 10.0.0.0/8"
            ) from None
    return values


def _check_positive(value: float) -> float:
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def _check_not_negative(value: float) -> float:
    if value < 0:
        raise ValueError("must be zero or more")
    return value


Addr = Annotated[str, AfterValidator(_check_addr)]
OptionalAddr = Annotated[str, AfterValidator(_check_optional_addr)]
Port = Annotated[int, AfterValidator(_check_port)]
PositiveDuration = Annotated[Duration, AfterValidator(_check_positive)]
NonNegativeDuration = Annotated[Duration, AfterValidator(_check_not_negative)]
PositiveInt = Annotated[int, AfterValidator(_check_positive)]


class Section(BaseModel):
    # strict: "10" is not an integer and "yes" is not a boolean — a config typo should fail
    # at start, not turn into a surprising value.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ApiConfig(Section):
    """The admin REST API (the seed's ``api`` section; ``host``/``ws_port``/``wss_port`` build
    the connection URL shown when a station is registered, ``org_name`` is the O= of client
    certificates issued to stations)."""

    addr: Addr = "127.0.0.1:9410"
    host: str = "localhost"
    ws_port: Port = 9310
    wss_port: Port = 9311
    org_name: str = "Thoughtworks"
    enabled: bool = True
    # Bearer tokens (``csms-tui api-token create``) are always required when ``addr`` is not a
    # loopback address; on loopback this switch decides.
    auth_required: bool = False
    # Failed bearer attempts allowed per client address per minute before 429.
    auth_failures_per_minute: PositiveInt = 10
    cors_origins: list[str] = Field(default_factory=list)
    max_body_size: PositiveInt = 1_048_576

    @model_validator(mode="after")
    def _auth_beyond_loopback(self) -> Self:
        if self.enabled and not self.auth_required and not is_loopback(split_addr(self.addr)[0]):
            raise ValueError(
                f"addr {self.addr!r} is reachable beyond this machine, so the API needs "
                "bearer tokens: set auth_required = true (create a token with "
                "`csms-tui api-token create NAME`)"
            )
        return self


class OcppConfig(Section):
    heartbeat_interval: PositiveDuration = 300.0
    ocpp16_enabled: bool = True
    ocpp201_enabled: bool = True

    @model_validator(mode="after")
    def _one_version(self) -> Self:
        if not (self.ocpp16_enabled or self.ocpp201_enabled):
            raise ValueError("at least one of ocpp16_enabled and ocpp201_enabled must be true")
        return self


def _check_mqtt_urls(urls: list[str]) -> list[str]:
    if not urls:
        raise ValueError("give at least one broker URL")
    for url in urls:
        if not re.fullmatch(r"(mqtt|mqtts|tcp|ssl|ws|wss)://[^/\s]+(/\S*)?", url):
            raise ValueError(f"{url!r} is not a broker URL such as mqtt://localhost:1883")
    return urls


def _check_log_level(level: str) -> str:
    if level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level.upper()


class MqttConfig(Section):
    urls: Annotated[list[str], AfterValidator(_check_mqtt_urls)] = Field(
        default_factory=lambda: ["mqtt://localhost:1883"]
    )
    prefix: str = "cs"
    group: str = "manager"
    connect_timeout: PositiveDuration = 10.0
    connect_retry_delay: PositiveDuration = 1.0
    keep_alive_interval: PositiveDuration = 10.0
    # QoS 1 messages held while the broker is unreachable, flushed on reconnect; beyond this the
    # oldest are dropped (and counted).
    buffer_size: PositiveInt = 10_000
    # A gateway refreshes its presence lease every third of this; when it lapses (or the
    # broker publishes the gateway's Will) every process takes its stations as offline.
    presence_lease: PositiveDuration = 15.0


class TransportConfig(Section):
    type: Literal["local", "mqtt"] = "local"
    mqtt: MqttConfig = Field(default_factory=MqttConfig)


class SqliteConfig(Section):
    path: str = "csms.db"


class PostgresConfig(Section):
    dsn: str = "postgresql://localhost/csms"


class StorageConfig(Section):
    type: Literal["sqlite", "postgres"] = "sqlite"
    sqlite: SqliteConfig = Field(default_factory=SqliteConfig)
    postgres: PostgresConfig = Field(default_factory=PostgresConfig)
    message_log_retention: PositiveInt = 100_000


class ObservabilityConfig(Section):
    log_format: Literal["text", "json"] = "text"
    log_level: Annotated[str, AfterValidator(_check_log_level)] = "INFO"
    log_file: str = "csms.log"
    # Where TLS session secrets of the gateway's wss listener are appended (NSS key log format,
    # for Wireshark); "" = never. Debugging only: anyone who reads it can decrypt the traffic.
    tls_keylog_file: str = ""


class CertificateFiles(Section):
    cert: str
    key: str


class GatewayConfig(Section):
    enabled: bool = True
    ws_addr: OptionalAddr = "127.0.0.1:9310"
    wss_addr: OptionalAddr = ""
    status_addr: OptionalAddr = "127.0.0.1:9312"
    tls_server_cert: str = ""
    tls_server_key: str = ""
    tls_trust_certs: list[str] = Field(default_factory=list)
    # More server certificates served on the same wss listener, each with another key type:
    # OCPP 2.0.1's security profiles require both the ECDSA and the RSA cipher suites, and the
    # TLS library offers each client the certificate its suites can use.
    tls_additional_certs: list[CertificateFiles] = Field(default_factory=list)
    org_names: list[str] = Field(default_factory=lambda: ["Thoughtworks"])
    # Reverse proxies (addresses or networks) whose forwarding header names the station's
    # address; the header of any other peer is ignored, so a station cannot choose its address.
    trusted_proxies: Annotated[list[str], AfterValidator(_check_networks)] = Field(
        default_factory=list
    )
    forwarded_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    # From TCP accept to a complete HTTP request (the TLS handshake included): a connection
    # that is slower is closed, so trickled headers cannot hold sockets open (slowloris).
    handshake_timeout: PositiveDuration = 10.0
    # Failed logins for one station id from addresses where it has never logged in, per
    # minute; its known addresses each have their own budget (core/gateway/guard.py).
    auth_guesses_per_minute: PositiveInt = 10
    # Failed logins (unknown ids included) from one address per minute, for addresses
    # that are not a known address of the station they name.
    auth_failures_per_address_per_minute: PositiveInt = 30
    call_timeout: PositiveDuration = 30.0
    max_frame_size: PositiveInt = 65536
    ping_interval: Duration = 60.0
    listen_backlog: PositiveInt = 4096
    # The version a station speaks when its handshake offers no subprotocol; "" refuses such a
    # handshake, as OCPP 2.0.1 Part 4 requires (MaEVe assumes 2.0.1).
    default_subprotocol: Annotated[str, AfterValidator(_check_subprotocol)] = ""

    @model_validator(mode="after")
    def _tls_for_wss(self) -> Self:
        if self.wss_addr and not (self.tls_server_cert and self.tls_server_key):
            raise ValueError("wss_addr needs tls_server_cert and tls_server_key")
        return self


def _dotted_keymap(value: Any) -> Any:
    """Binding ids contain dots, and TOML reads an unquoted ``station.actions = "a"`` as a
    table: both spellings give the id ``"station.actions"``."""
    if not isinstance(value, dict):
        return value
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            flat.update({f"{key}.{sub}": leaf for sub, leaf in _dotted_keymap(item).items()})
        else:
            flat[key] = item
    return flat


class TuiConfig(Section):
    """The console's settings. Theme names, binding ids and keys are Textual's and the
    console's: ``csms_tui.tui_config`` checks them (``core`` never imports the console)."""

    theme: str = "textual-dark"
    # binding id → key(s), e.g. {"app.quit": "ctrl+q"}
    keymap: Annotated[dict[str, str], BeforeValidator(_dotted_keymap)] = Field(default_factory=dict)
    message_window: PositiveInt = 2000
    # Ring the terminal bell (besides the notification) when a station faults or drops.
    bell: bool = True


# -- service sections (the seed's names and shapes) ----------------------------------------


class EnvTokenAuth(Section):
    variable: str


class FixedTokenAuth(Section):
    token: str


class OAuth2TokenAuth(Section):
    url: str
    client_id: str
    client_secret: str = ""
    client_secret_env_var: str = ""

    @model_validator(mode="after")
    def _one_secret(self) -> Self:
        if not (self.client_secret or self.client_secret_env_var):
            raise ValueError("needs client_secret or client_secret_env_var")
        return self


class HubjectTestTokenAuth(Section):
    url: str
    ttl: PositiveDuration = 86400.0


class HttpAuthConfig(Section):
    """How outbound HTTP calls (OPCP, Hubject) authenticate (the seed's HttpAuth)."""

    type: Literal["env_token", "fixed_token", "oauth2_token", "hubject_test_token"]
    env_token: EnvTokenAuth | None = None
    fixed_token: FixedTokenAuth | None = None
    oauth2_token: OAuth2TokenAuth | None = None
    hubject_test_token: HubjectTestTokenAuth | None = None

    @model_validator(mode="after")
    def _chosen_present(self) -> Self:
        _require_chosen(self, self.type)
        return self


class OpcpRootCerts(Section):
    url: str
    ttl: PositiveDuration = 86400.0
    auth: HttpAuthConfig


class FileRootCerts(Section):
    files: list[str] = Field(default_factory=list)


class CompositeRootCerts(Section):
    providers: list[RootCertProviderConfig]


class RootCertProviderConfig(Section):
    """Trust roots for OCSP contract validation: ``opcp``, ``file`` or ``composite``."""

    type: Literal["opcp", "file", "composite"] = "file"
    opcp: OpcpRootCerts | None = None
    # The seed's default names root_ca.pem; an empty list keeps the embedded default startable
    # without files (contract certificates then fail validation for want of a trust root).
    file: FileRootCerts | None = Field(default_factory=FileRootCerts)
    composite: CompositeRootCerts | None = None

    @model_validator(mode="after")
    def _chosen_present(self) -> Self:
        _require_chosen(self, self.type)
        return self


class OcspConfig(Section):
    max_attempts: PositiveInt = 1
    root_certs: RootCertProviderConfig = Field(default_factory=RootCertProviderConfig)


class ContractCertValidatorConfig(Section):
    type: Literal["ocsp"] = "ocsp"
    ocsp: OcspConfig = Field(default_factory=OcspConfig)


class OpcpProviderConfig(Section):
    url: str
    auth: HttpAuthConfig


class SecretSource(Section):
    """A PEM read from a file (or, in the seed, a Google Cloud secret — kept for config
    compatibility but refused at start here)."""

    type: Literal["file", "google_cloud_secret"] = "file"
    file: str = ""
    google_cloud_secret: str = ""

    @model_validator(mode="after")
    def _source_given(self) -> Self:
        if self.type == "file" and not self.file:
            raise ValueError("type 'file' needs file")
        if self.type == "google_cloud_secret":
            raise ValueError("google_cloud_secret is not supported: use type 'file'")
        return self


class IssuingCaConfig(Section):
    """A CA of the local ISO 15118 PKI: its certificate and key, the PEM files of its issuers
    below the root (nearest first) and the root's PEM file. Checked at start."""

    cert: SecretSource
    key: SecretSource
    issuer_files: list[str] = Field(default_factory=list)
    root_file: str
    # Written into issued certificates as their OCSP responder; empty: none. This and `days`
    # are not used for the CPS leaf, which issues nothing.
    ocsp_url: str = ""
    # Validity of issued certificates, never past the CA's own.
    days: PositiveInt = 365


class LocalCaConfig(Section):
    cert: SecretSource
    key: SecretSource
    # The CPO sub-CA that signs V2GCertificate CSRs; without it V2G requests are refused.
    v2g: IssuingCaConfig | None = None


class LocalContractProviderConfig(Section):
    """Get15118EVCertificate from a local MO sub-CA; ``cps`` is the certificate provisioning
    service leaf (with its issuers to the V2G root) that signs the answer."""

    mo: IssuingCaConfig
    cps: IssuingCaConfig
    # Country + provider id of issued eMAIDs, e.g. "GBTWK".
    emaid_prefix: str = Field(pattern=r"^[A-Za-z]{2}[A-Za-z0-9]{3}$")


class ContractCertProviderConfig(Section):
    type: Literal["default", "opcp", "local"] = "default"
    opcp: OpcpProviderConfig | None = None
    local: LocalContractProviderConfig | None = None

    @model_validator(mode="after")
    def _chosen_present(self) -> Self:
        if self.type != "default":
            _require_chosen(self, self.type)
        return self


class DelegatingProviderConfig(Section):
    v2g: ChargeStationCertProviderConfig
    cso: ChargeStationCertProviderConfig


class ChargeStationCertProviderConfig(Section):
    """Signs station CSRs: ``default`` (refuses), ``opcp``, ``local`` CA (CSO, plus V2G when
    ``local.v2g`` is set) or ``delegating`` (V2G to one provider, CSO to another)."""

    type: Literal["default", "opcp", "local", "delegating"] = "default"
    opcp: OpcpProviderConfig | None = None
    local: LocalCaConfig | None = None
    delegating: DelegatingProviderConfig | None = None

    @model_validator(mode="after")
    def _chosen_present(self) -> Self:
        if self.type != "default":
            _require_chosen(self, self.type)
        return self


class TariffServiceConfig(Section):
    type: Literal["kwh"] = "kwh"
    price_per_kwh: Annotated[float, Field(ge=0)] = 0.55
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    # The running cost of a 2.0.1 transaction (CostUpdated, I02) is sent at most once per this
    # many seconds per transaction, its Started and first Updated readings at once; 0 = after
    # every one.
    running_cost_interval: NonNegativeDuration = 30.0


class OcpiConfig(Section):
    """OCPI 2.2.1 (CPO). Present = on; the seed's four keys are required."""

    addr: Addr
    external_url: str
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    party_id: Annotated[str, Field(pattern=r"^[A-Z0-9]{3}$")]
    # Optional: our business name in the credentials we hand out.
    business_name: str = ""
    # Ask the token's eMSP (POST tokens/{uid}/authorize) when a station presents a token we
    # do not know, or one whose whitelist is NEVER.
    realtime_authorization: bool = False
    # Pushes to a party (locations, sessions, CDRs, command results): per-request timeout and
    # how many times a failed push is retried (with a short growing pause between tries).
    push_timeout: PositiveDuration = 10.0
    push_retries: Annotated[int, Field(ge=0, le=10)] = 2
    # How long a command waits for the station's answer before its result is TIMEOUT.
    command_timeout: PositiveDuration = 30.0
    # The largest page a GET list returns (the client's `limit` is capped to it).
    page_limit: PositiveInt = 100


def _require_chosen(section: BaseModel, chosen: str) -> None:
    if getattr(section, chosen, None) is None:
        raise ValueError(f"type {chosen!r} needs a [{chosen}] table")


CompositeRootCerts.model_rebuild()
DelegatingProviderConfig.model_rebuild()


class SyncConfig(Section):
    """Background pushes of stored settings, certificates and triggers (the seed's rhythm:
    every minute, retried after two minutes, 50 items a page), bounded: an item a station keeps
    refusing or never answers is given up after ``max_attempts``."""

    enabled: bool = True
    interval: PositiveDuration = 60.0
    retry_after: PositiveDuration = 120.0
    page_size: PositiveInt = 50
    max_attempts: PositiveInt = 5


def _check_leniency_names(names: list[str]) -> list[str]:
    for name in names:
        if name == Leniency.NO_SUBPROTOCOL:
            raise ValueError(
                f"{name!r} needs the version the station speaks: set "
                'no_subprotocol = "ocpp1.6" (or "ocpp2.0.1") instead'
            )
        if name not in LENIENCY_NAMES:
            listed = [n for n in LENIENCY_NAMES if n != Leniency.NO_SUBPROTOCOL]
            raise ValueError(f"{name!r} is not a leniency (one of: {', '.join(listed)})")
    return names


class LeniencyGrantConfig(Section):
    """Leniencies granted to the stations a table names (core/leniency)."""

    grant: Annotated[list[str], AfterValidator(_check_leniency_names)] = Field(default_factory=list)
    # The subprotocol assumed when the station's handshake offers none: grants no-subprotocol.
    no_subprotocol: Annotated[str, AfterValidator(_check_subprotocol)] = ""


class LeniencyModelConfig(LeniencyGrantConfig):
    """A grant for every station whose BootNotification names this vendor and model."""

    vendor: str
    model: str


class LeniencyConfig(Section):
    """Per-station leniency: strict unless granted. A station's own grant, its model's grants
    and those made through the API add up."""

    stations: dict[str, LeniencyGrantConfig] = Field(default_factory=dict)
    models: list[LeniencyModelConfig] = Field(default_factory=list)


class Config(Section):
    api: ApiConfig = Field(default_factory=ApiConfig)
    sync: SyncConfig = Field(default_factory=SyncConfig)
    ocpp: OcppConfig = Field(default_factory=OcppConfig)
    transport: TransportConfig = Field(default_factory=TransportConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    gateway: GatewayConfig = Field(default_factory=GatewayConfig)
    tui: TuiConfig = Field(default_factory=TuiConfig)
    leniency: LeniencyConfig = Field(default_factory=LeniencyConfig)
    ocpi: OcpiConfig | None = None
    contract_cert_validator: ContractCertValidatorConfig = Field(
        default_factory=ContractCertValidatorConfig
    )
    contract_cert_provider: ContractCertProviderConfig = Field(
        default_factory=ContractCertProviderConfig
    )
    charge_station_cert_provider: ChargeStationCertProviderConfig = Field(
        default_factory=ChargeStationCertProviderConfig
    )
    tariff_service: TariffServiceConfig = Field(default_factory=TariffServiceConfig)


class ConfigError(Exception):
    """A configuration problem, worded for the operator: ``FILE: KEY: REASON`` per line."""

    def __init__(self, problems: list[tuple[str, str, str]] | str) -> None:
        # A plain message is accepted too (callers outside this module raise it that way).
        if isinstance(problems, str):
            problems = [("", "", problems)]
        self.problems = problems
        super().__init__(
            "\n".join(": ".join(part for part in problem if part) for problem in problems)
        )


def load_config(path: Path | None) -> Config:
    """Load ``path`` (or the built-in defaults when None)."""
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = f"cannot read the configuration file: {exc.strerror or exc}"
        raise ConfigError([(str(path), "", reason)]) from exc
    try:
        data = tomlkit.parse(text).unwrap()
    except Exception as exc:
        raise ConfigError([(str(path), "", f"not valid TOML: {exc}")]) from exc
    return config_from_dict(data, source=str(path))


def config_from_dict(data: dict[str, Any], source: str = "<config>") -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([(source, *_describe(err)) for err in exc.errors()]) from exc


# Keys the seed's configuration has (or an earlier csms-tui accepted) that are refused: each
# with what to do instead, not just "unknown key".
_RETIRED = {
    "gateway.trust_proxy": "replaced by gateway.trusted_proxies, the list of proxy addresses "
    "whose forwarding header is believed",
    "observability.otel_collector_addr": "OpenTelemetry export is not built in; remove the key "
    "(Prometheus metrics: /metrics on the gateway's status address and on the API)",
    "storage.postgres.pool_size": "each process keeps one PostgreSQL connection and commits in "
    "groups (core/store/postgres.py); remove the key",
}


def _describe(err: Any) -> tuple[str, str]:
    """(dotted key, reason) for one pydantic error, in the operator's terms."""
    key = ""
    for part in err["loc"]:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    kind = err["type"]
    if kind == "extra_forbidden":
        return key, _RETIRED.get(key, "unknown key")
    if kind == "missing":
        return key, "required key is missing"
    reason = str(err["msg"]).removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing") or kind == "literal_error":
        reason = f"{reason} (got {err['input']!r})"
    return key, reason
