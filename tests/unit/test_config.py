"""Strict configuration loading: the shipped default and one test per kind of error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from core.config import Config, ConfigError, config_from_dict, load_config, parse_duration

ROOT = Path(__file__).resolve().parents[2]


def _problems(tmp_path: Path, text: str) -> list[tuple[str, str, str]]:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    return info.value.problems


def test_shipped_config_loads_and_equals_the_built_in_defaults() -> None:
    assert load_config(ROOT / "config.toml") == Config()


def test_shipped_config_mentions_every_default_section() -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for section in Config.model_fields:
        assert f"[{section}" in text or f"# [{section}]" in text, section


def test_no_file_means_defaults() -> None:
    assert load_config(None) == Config()


def test_seed_keys_keep_their_names_and_durations(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        """
[api]
addr = "0.0.0.0:9410"
auth_required = true
host = "csms.example.com"
ws_port = 80
wss_port = 443
org_name = "Example"

[ocpp]
heartbeat_interval = "1h30m"
ocpp16_enabled = false

[transport]
type = "mqtt"
[transport.mqtt]
urls = ["mqtt://broker:1883"]
prefix = "cs"
group = "managers"
connect_timeout = "500ms"

[storage]
type = "postgres"

[observability]
log_format = "json"

[contract_cert_validator.ocsp]
max_attempts = 3
[contract_cert_validator.ocsp.root_certs]
type = "composite"
[[contract_cert_validator.ocsp.root_certs.composite.providers]]
type = "file"
file = { files = ["root_ca.pem"] }
[[contract_cert_validator.ocsp.root_certs.composite.providers]]
type = "opcp"
opcp = { url = "https://opcp.example", ttl = "24h", auth = { type = "env_token", env_token = { variable = "TOKEN" } } }

[charge_station_cert_provider]
type = "delegating"
[charge_station_cert_provider.delegating.v2g]
type = "opcp"
opcp = { url = "https://v2g.example", auth = { type = "fixed_token", fixed_token = { token = "t" } } }
[charge_station_cert_provider.delegating.cso]
type = "local"
local = { cert = { file = "ca.pem" }, key = { file = "ca.key" } }

[ocpi]
addr = ":9411"
external_url = "http://manager:9411"
country_code = "GB"
party_id = "TWK"
""",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.api.host == "csms.example.com"
    assert config.ocpp.heartbeat_interval == 5400.0
    assert config.ocpp.ocpp16_enabled is False
    assert config.transport.mqtt.connect_timeout == 0.5
    assert config.storage.type == "postgres"
    providers = config.contract_cert_validator.ocsp.root_certs.composite
    assert providers is not None
    assert [p.type for p in providers.providers] == ["file", "opcp"]
    assert providers.providers[1].opcp is not None
    assert providers.providers[1].opcp.ttl == 86400.0
    delegating = config.charge_station_cert_provider.delegating
    assert delegating is not None
    assert delegating.cso.local is not None
    assert delegating.cso.local.key.file == "ca.key"
    assert config.ocpi is not None
    assert config.ocpi.party_id == "TWK"


def test_unknown_key_is_named(tmp_path: Path) -> None:
    problems = _problems(tmp_path, '[api]\naddr = "127.0.0.1:9410"\nadress = "x"\n')
    assert problems == [(str(tmp_path / "bad.toml"), "api.adress", "unknown key")]


def test_unknown_section_is_named(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "[mqtt]\nurls = []\n")
    assert [(key, reason) for _, key, reason in problems] == [("mqtt", "unknown key")]


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    problems = _problems(tmp_path, '[api]\nws_port = "80"\n')
    ((_, key, reason),) = problems
    assert key == "api.ws_port"
    assert "integer" in reason
    assert "'80'" in reason


def test_string_is_not_a_boolean(tmp_path: Path) -> None:
    ((_, key, reason),) = _problems(tmp_path, '[ocpp]\nocpp16_enabled = "yes"\n')
    assert key == "ocpp.ocpp16_enabled"
    assert "boolean" in reason


def test_bad_enum_value(tmp_path: Path) -> None:
    ((_, key, reason),) = _problems(tmp_path, '[storage]\ntype = "firestore"\n')
    assert key == "storage.type"
    assert "'sqlite'" in reason
    assert "'firestore'" in reason


def test_bad_duration(tmp_path: Path) -> None:
    ((_, key, reason),) = _problems(tmp_path, '[ocpp]\nheartbeat_interval = "5 minutes"\n')
    assert key == "ocpp.heartbeat_interval"
    assert "duration" in reason


def test_non_positive_duration(tmp_path: Path) -> None:
    ((_, key, reason),) = _problems(tmp_path, '[gateway]\ncall_timeout = "0s"\n')
    assert key == "gateway.call_timeout"
    assert "greater than zero" in reason


def test_running_cost_interval_defaults_to_30_s_and_takes_0_or_a_duration() -> None:
    assert Config().tariff_service.running_cost_interval == 30.0
    for value, seconds in ((0, 0.0), (2.5, 2.5), ("1m", 60.0)):
        config = config_from_dict({"tariff_service": {"running_cost_interval": value}})
        assert config.tariff_service.running_cost_interval == seconds


def test_negative_running_cost_interval_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "[tariff_service]\nrunning_cost_interval = -5\n")
    [(source, key, reason)] = problems
    assert (source, key) == (str(tmp_path / "bad.toml"), "tariff_service.running_cost_interval")
    assert reason == "must be zero or more"


def test_bad_address(tmp_path: Path) -> None:
    ((_, key, reason),) = _problems(tmp_path, '[api]\naddr = "localhost"\n')
    assert key == "api.addr"
    assert "HOST:PORT" in reason


def test_cross_field_rule(tmp_path: Path) -> None:
    ((_, key, reason),) = _problems(
        tmp_path, "[ocpp]\nocpp16_enabled = false\nocpp201_enabled = false\n"
    )
    assert key == "ocpp"
    assert "at least one" in reason


def test_api_beyond_loopback_needs_auth(tmp_path: Path) -> None:
    ((_, key, reason),) = _problems(tmp_path, '[api]\naddr = "0.0.0.0:9410"\n')
    assert key == "api"
    assert "auth_required = true" in reason
    assert load_config(None).api.auth_required is False  # loopback default: optional


def test_chosen_provider_needs_its_table(tmp_path: Path) -> None:
    ((_, key, reason),) = _problems(tmp_path, '[contract_cert_provider]\ntype = "opcp"\n')
    assert key == "contract_cert_provider"
    assert "[opcp]" in reason


def test_ocpi_requires_the_seed_keys(tmp_path: Path) -> None:
    problems = _problems(tmp_path, '[ocpi]\naddr = ":9411"\ncountry_code = "gb"\n')
    by_key = {key: reason for _, key, reason in problems}
    assert by_key["ocpi.external_url"] == "required key is missing"
    assert by_key["ocpi.party_id"] == "required key is missing"
    assert "ocpi.country_code" in by_key


def test_list_positions_are_shown(tmp_path: Path) -> None:
    ((_, key, _),) = _problems(tmp_path, '[transport.mqtt]\nurls = ["mqtt://a:1", 5]\n')
    assert key == "transport.mqtt.urls[1]"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    problems = _problems(tmp_path, '[api]\nfoo = 1\nws_port = "x"\n[tui]\nbar = 2\n')
    assert {key for _, key, _ in problems} == {"api.foo", "api.ws_port", "tui.bar"}


def test_not_toml(tmp_path: Path) -> None:
    ((_, key, reason),) = _problems(tmp_path, "[api\n")
    assert key == ""
    assert reason.startswith("not valid TOML")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml")
    assert "nope.toml" in str(info.value)
    assert "cannot read" in str(info.value)


def test_config_from_dict_names_the_source() -> None:
    with pytest.raises(ConfigError, match=r"^env: api\.x: unknown key$"):
        config_from_dict({"api": {"x": 1}}, source="env")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300.0), ("1h30m", 5400.0), ("500ms", 0.5), ("10s", 10.0), (7, 7.0), (1.5, 1.5)],
)
def test_durations(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "m5", "5m junk", "1d", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("value", ["ocpp2.1", "OCPP1.6", "ocpp1.6,ocpp2.0.1"])
def test_default_subprotocol_must_be_one_the_gateway_speaks(tmp_path: Path, value: str) -> None:
    ((_, key, reason),) = _problems(tmp_path, f'[gateway]\ndefault_subprotocol = "{value}"\n')
    assert key == "gateway.default_subprotocol"
    assert reason == (
        f"{value!r} is not an OCPP subprotocol the gateway speaks (one of: ocpp1.6, ocpp2.0.1)"
    )


@pytest.mark.parametrize("value", ["", "ocpp1.6", "ocpp2.0.1"])
def test_default_subprotocol_accepts_each_supported_version(value: str) -> None:
    config = config_from_dict({"gateway": {"default_subprotocol": value}})
    assert config.gateway.default_subprotocol == value


def test_keymap_ids_may_be_quoted_or_dotted(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[tui.keymap]\n"app.quit" = "ctrl+q"\nstation.actions = "a"\n')
    keymap = load_config(path).tui.keymap
    assert keymap == {"app.quit": "ctrl+q", "station.actions": "a"}


def test_keymap_values_must_be_strings(tmp_path: Path) -> None:
    ((_, key, reason),) = _problems(tmp_path, "[tui.keymap]\nstation.actions = 5\n")
    assert key == "tui.keymap.station.actions"
    assert "string" in reason


def test_the_allowed_subprotocols_are_those_the_gateway_serves() -> None:
    from core.gateway.server import SUPPORTED
    from core.ocpp.types import OcppVersion

    assert sorted(SUPPORTED) == sorted(version.value for version in OcppVersion)


@pytest.mark.parametrize(
    ("text", "key", "advice"),
    [
        ("[gateway]\ntrust_proxy = true\n", "gateway.trust_proxy", "gateway.trusted_proxies"),
        (
            '[observability]\notel_collector_addr = "x:4317"\n',
            "observability.otel_collector_addr",
            "not built in",
        ),
        ("[storage.postgres]\npool_size = 10\n", "storage.postgres.pool_size", "one PostgreSQL"),
    ],
)
def test_retired_keys_say_what_to_do_instead(
    tmp_path: Path, text: str, key: str, advice: str
) -> None:
    [(_, named, reason)] = _problems(tmp_path, text)
    assert named == key
    assert advice in reason


def test_trusted_proxies_are_addresses_or_networks(tmp_path: Path) -> None:
    ok = config_from_dict({"gateway": {"trusted_proxies": ["10.0.0.5", "10.1.0.0/16", "::1"]}})
    assert ok.gateway.trusted_proxies == ["10.0.0.5", "10.1.0.0/16", "::1"]
    [(_, key, reason)] = _problems(tmp_path, '[gateway]\ntrusted_proxies = ["proxy.lan"]\n')
    assert key == "gateway.trusted_proxies"
    assert "'proxy.lan' is not an IP address" in reason


def _keys(table: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for name, value in table.items():
        if isinstance(value, dict) and prefix + name != "tui.keymap":
            yield from _keys(value, f"{prefix}{name}.")
        else:
            yield prefix + name


def test_the_shipped_config_has_no_key_the_code_ignores() -> None:
    """Every key config.toml sets must be named by some module outside config.py (as
    otel_collector_addr was not). Coarse — a name used for something else would hide an
    ignored key — but it catches a setting shipped and never wired up."""
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for part in ("core", "csms_tui")
        for p in (ROOT / part).rglob("*.py")
        if p.name != "config.py"
    )
    shipped = tomlkit.parse((ROOT / "config.toml").read_text(encoding="utf-8")).unwrap()
    unread = sorted(
        key
        for key in _keys(shipped)
        if f".{key.rsplit('.', 1)[-1]}" not in sources
        and f'"{key.rsplit(".", 1)[-1]}"' not in sources
    )
    assert unread == []
