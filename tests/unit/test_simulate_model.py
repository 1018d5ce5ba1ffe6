"""Scenario and answer-policy files: the examples load, the short forms mean what the docs say,
and a mistake is reported with the file, the key and the reason."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from core.config import ConfigError
from csms_tui.simulate.cli import scale_counts
from csms_tui.simulate.model import (
    Answer,
    FaultStep,
    OfflineStep,
    Profile,
    RebootStep,
    Run,
    Scenario,
    SessionStep,
    WaitStep,
    answer_option,
    load_answers,
    load_simulation,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "simulate"


EXAMPLE_FILES = sorted(EXAMPLES.glob("*.toml"))


def _is_answers_file(path: Path) -> bool:
    return set(tomllib.loads(path.read_text(encoding="utf-8"))) == {"answers"}


def test_the_examples_are_there() -> None:
    assert {p.name for p in EXAMPLE_FILES} >= {"depot.toml", "fleet-50.toml", "answers-flaky.toml"}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_file_loads(path: Path) -> None:
    """A new example is checked without naming it here: an answer-policy file (only an
    [answers] table) as --answers reads it, any other as a scenario file."""
    if _is_answers_file(path):
        assert load_answers(path)
        return
    sim = load_simulation(path)
    assert sim.profile
    for profile in sim.profile:
        assert profile.scenario in sim.scenario


def _set_keys(node: Any, names_only: bool = False) -> set[str]:
    """Every key a TOML document sets below its top-level tables, without the names chosen by
    the file (the actions of an answers table, the scenarios' names)."""
    keys: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if not names_only:
                keys.add(key)
            keys |= _set_keys(value, names_only=key in ("answers", "scenario"))
    elif isinstance(node, list):
        for item in node:
            keys |= _set_keys(item)
    return keys


def _explained(text: str) -> set[str]:
    """The keys a file explains: those named in a comment, and those set on a line that has a
    comment of its own or follows a comment line."""
    lines = text.splitlines()
    comments = "\n".join(line.split("#", 1)[1] for line in lines if "#" in line)
    named = set(re.findall(r"(?<![\w-])([a-z][a-z0-9_]*)(?![\w-])", comments))
    for before, line in zip(["", *lines], lines, strict=False):
        set_here = re.match(r"\s*([a-z][a-z0-9_]*)\s*=", line)
        if set_here and ("#" in line or before.lstrip().startswith("#")):
            named.add(set_here.group(1))
    return named


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_key_an_example_sets_is_explained_in_its_comments(path: Path) -> None:
    """The examples are the files' documentation: every key one sets is explained there."""
    text = path.read_text(encoding="utf-8")
    document = tomllib.loads(text)
    keys = set().union(
        *(
            _set_keys(top, names_only=name in ("answers", "scenario"))
            for name, top in document.items()
        )
    )
    assert sorted(keys - _explained(text)) == []


@pytest.mark.parametrize(
    "model",
    [Run, Profile, Scenario, SessionStep, WaitStep, FaultStep, OfflineStep, RebootStep, Answer],
    ids=lambda m: m.__name__,
)
def test_the_examples_explain_every_key_of_the_format(model: type[BaseModel]) -> None:
    """A key added to the format is explained in an example too."""
    explained = set().union(*(_explained(p.read_text(encoding="utf-8")) for p in EXAMPLE_FILES))
    assert sorted(set(model.model_fields) - explained) == []


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
