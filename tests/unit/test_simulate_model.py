"""Scenario and answer-policy files: the examples load, the short forms mean what the docs say,
and a mistake is reported with the file, the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError
from csms_tui.simulate.cli import scale_counts
from csms_tui.simulate.model import (
    Answer,
    OfflineStep,
    Profile,
    SessionStep,
    answer_option,
    load_answers,
    load_simulation,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "simulate"


@pytest.mark.parametrize("name", ["depot.toml", "fleet-50.toml"])
def test_the_example_scenarios_load(name: str) -> None:
    sim = load_simulation(EXAMPLES / name)
    assert sim.profile
    for profile in sim.profile:
        assert profile.scenario in sim.scenario


def test_the_depot_example_says_what_its_comments_say() -> None:
    sim = load_simulation(EXAMPLES / "depot.toml")
    wallbox, rapid = sim.profile
    assert wallbox.station_ids()[0] == "DEPOT-WB-001"
    assert (wallbox.ocpp, rapid.ocpp, rapid.evses) == ("1.6", "2.0.1", [1, 1])
    assert wallbox.answers["GetConfiguration"] == Answer(policy="late", delay=3.0)
    shift = sim.scenario["shift"]
    assert shift.start_within == 10.0
    assert isinstance(shift.steps[0], SessionStep)
    assert shift.steps[0].duration == 45.0
    assert any(isinstance(step, OfflineStep) for step in shift.steps)


def test_the_answer_policy_example_loads_with_its_short_forms() -> None:
    answers = load_answers(EXAMPLES / "answers-flaky.toml")
    assert answers["Reset"] == Answer(
        policy="error", error_code="InternalError", description="watchdog busy"
    )
    assert answers["GetConfiguration"] == Answer(policy="late", delay=5.0)
    assert answers["UnlockConnector"] == Answer(policy="late", delay=45.0, then="reject")
    assert answers["TriggerMessage"].policy == "never"
    assert answers["DataTransfer"] == Answer(policy="error", error_code="NotImplemented")


def test_answer_options() -> None:
    assert answer_option("Reset=error:NotSupported") == (
        "Reset",
        Answer(policy="error", error_code="NotSupported"),
    )
    assert answer_option("*=late:1500ms:reject") == (
        "*",
        Answer(policy="late", delay=1.5, then="reject"),
    )
    with pytest.raises(ValueError, match="expected ACTION=POLICY"):
        answer_option("Reset")
    with pytest.raises(ValueError, match="not an answer policy"):
        answer_option("Reset=maybe")
    with pytest.raises(ValueError, match="needs a delay"):
        answer_option("Reset=late:0s")


def test_a_mistake_names_the_file_the_key_and_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[[profile]]\nocpp = "1.6"\nscenario = "day"\n\n'
        '[scenario.day]\nsteps = [{ do = "session", duraton = "5s" }]\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_simulation(path)
    assert (str(path), "scenario.day.steps[0].session.duraton", "unknown key") in (
        caught.value.problems
    )


def test_a_profile_naming_a_missing_scenario_or_clashing_ids_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[profile]]\nscenario = "night"\n')
    with pytest.raises(ConfigError, match="scenario 'night' is not defined"):
        load_simulation(path)
    path.write_text('[[profile]]\nid_prefix = "A"\n[[profile]]\nid_prefix = "A"\n')
    with pytest.raises(ConfigError, match="A001 is also made by profile"):
        load_simulation(path)


def test_token_and_password_lengths_follow_the_version() -> None:
    with pytest.raises(ValueError, match=r"OCPP 1\.6 takes 1 to 20"):
        Profile(ocpp="1.6", tokens=["T" * 21])
    assert Profile(ocpp="2.0.1", tokens=["T" * 36]).tokens == ["T" * 36]
    with pytest.raises(ValueError, match="16 to 40 characters"):
        Profile(password="short")
    with pytest.raises(ValueError, match="needs client_cert and client_key"):
        Profile(security_profile=2)


def test_stations_scale_in_proportion() -> None:
    profiles = [Profile(count=25, id_prefix="A"), Profile(count=75, id_prefix="B")]
    assert [p.count for p in scale_counts(profiles, 1000)] == [250, 750]
    assert [p.count for p in scale_counts(profiles, 3)] == [1, 2]
