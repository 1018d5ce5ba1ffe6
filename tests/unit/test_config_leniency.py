"""The [leniency] section: grants by station id and by vendor and model, strict about names."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, load_config

GOOD = """
[leniency.stations."CS-001"]
grant = ["enum-case", "timestamp-without-offset"]
no_subprotocol = "ocpp1.6"

[[leniency.models]]
vendor = "ACME"
model = "Wallbox 7"
grant = ["extra-properties", "csr-without-o"]
"""


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _problems(tmp_path: Path, text: str) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text)
    return info.value.problems


def test_grants_by_station_and_by_model(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD, encoding="utf-8")
    leniency = load_config(path).leniency
    station = leniency.stations["CS-001"]
    assert station.grant == ["enum-case", "timestamp-without-offset"]
    assert station.no_subprotocol == "ocpp1.6"
    [model] = leniency.models
    assert (model.vendor, model.model) == ("ACME", "Wallbox 7")
    assert model.grant == ["extra-properties", "csr-without-o"]
    assert model.no_subprotocol == ""


def test_strict_by_default() -> None:
    leniency = load_config(None).leniency
    assert leniency.stations == {}
    assert leniency.models == []


def test_an_unknown_leniency_is_named_with_its_key(tmp_path: Path) -> None:
    [(source, key, reason)] = _problems(
        tmp_path, '[leniency.stations."CS-001"]\ngrant = ["enum-case", "lowercase-everything"]\n'
    )
    assert source.endswith("config.toml")
    assert key == "leniency.stations.CS-001.grant"
    assert "'lowercase-everything' is not a leniency" in reason
    assert "enum-case" in reason


def test_no_subprotocol_is_granted_by_naming_the_version(tmp_path: Path) -> None:
    [(_, key, reason)] = _problems(
        tmp_path, '[leniency.stations."CS-001"]\ngrant = ["no-subprotocol"]\n'
    )
    assert key == "leniency.stations.CS-001.grant"
    assert 'no_subprotocol = "ocpp1.6"' in reason


def test_the_version_must_be_one_the_gateway_speaks(tmp_path: Path) -> None:
    [(_, key, reason)] = _problems(
        tmp_path, '[leniency.stations."CS-001"]\nno_subprotocol = "ocpp2.1"\n'
    )
    assert key == "leniency.stations.CS-001.no_subprotocol"
    assert "ocpp1.6" in reason


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            '[leniency.stations."CS-001"]\ngrants = ["enum-case"]\n',
            "leniency.stations.CS-001.grants",
        ),
        ('[[leniency.models]]\nvendor = "A"\ngrant = []\n', "leniency.models[0].model"),
        ("[leniency]\nlenient = true\n", "leniency.lenient"),
    ],
)
def test_unknown_and_missing_keys_are_named(tmp_path: Path, text: str, key: str) -> None:
    assert key in [problem[1] for problem in _problems(tmp_path, text)]
