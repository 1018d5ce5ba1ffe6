"""The [tui] checks: themes, binding ids and keys, against what the console and Textual do."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
import tomlkit
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.app import InvalidThemeError
from textual.binding import Binding
from textual.dom import DOMNode
from textual.events import Key
from textual.keys import Keys

from core.config import Config, config_from_dict, load_config
from csms_tui.actions import ActionMenuScreen
from csms_tui.app import CsmsConsole
from csms_tui.history_screens import MessageHistoryScreen
from csms_tui.screens import StationDetailScreen
from csms_tui.tui_config import binding_ids, key_problem, theme_names, tui_config_errors

ROOT = Path(__file__).resolve().parents[2]


def _errors(tui: dict[str, object]) -> list[str]:
    return tui_config_errors(config_from_dict({"tui": tui}), "c.toml")


def test_defaults_have_no_problems() -> None:
    assert tui_config_errors(Config(), "c.toml") == []


# -- themes ---------------------------------------------------------------------------------


def test_every_listed_theme_is_one_the_console_accepts() -> None:
    assert "textual-dark" in theme_names()
    assert "nord" in theme_names()
    for name in theme_names():
        CsmsConsole().theme = name  # what the console's start does with tui.theme


def test_an_unknown_theme_is_one_the_console_refuses() -> None:
    with pytest.raises(InvalidThemeError):
        CsmsConsole().theme = "nosuch"
    ((line),) = _errors({"theme": "nosuch"})
    assert line.startswith("c.toml: tui.theme: unknown theme 'nosuch' (one of: ansi-dark, ")
    assert line.endswith(", tokyo-night)")


# -- binding ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls", [CsmsConsole, StationDetailScreen, MessageHistoryScreen, ActionMenuScreen]
)
def test_binding_ids_include_every_id_the_console_s_classes_declare(cls: type[DOMNode]) -> None:
    declared = {b.id for b in cls.BINDINGS if isinstance(b, Binding) and b.id}
    assert declared
    assert declared <= binding_ids()


def test_binding_ids_match_every_binding_id_in_the_console_s_source() -> None:
    """A second way to the same set: a module whose classes the walk misses shows up here."""
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "csms_tui").rglob("*.py")
    )
    in_source = set(re.findall(r'Binding\((?:(?!Binding\().)*?\bid="([^"]+)"', source, re.DOTALL))
    assert in_source
    assert in_source == binding_ids()


def test_binding_ids_are_only_declared_ids() -> None:
    ids = binding_ids()
    assert {"app.quit", "station.actions", "detail.reload", "action_menu.cancel"} <= ids
    assert not {"quit", "station.nope", ""} & ids


def test_an_unknown_binding_id_is_named_with_the_known_ones() -> None:
    ((line),) = _errors({"keymap": {"station.nope": "k"}})
    assert line.startswith('c.toml: tui.keymap."station.nope": unknown binding id (one of: ')
    assert "app.quit, " in line
    assert "station.actions, " in line


def test_a_known_binding_id_with_a_good_key_passes() -> None:
    assert _errors({"keymap": {"station.actions": "ctrl+a", "app.help": "f1,question_mark"}}) == []


# -- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [
        "k",
        "K",
        "?",
        "1",
        "+",
        "ctrl+k",
        "ctrl+shift+a",
        "alt+shift+k",
        "ctrl+question_mark",
        "ctrl+slash",
        "f5",
        "shift+f5",
        "enter",
        "escape",
        "space",
        "pageup",
        "question_mark",
        "comma",
        "super+a",
        "k, ctrl+q",
        "tab,ctrl+i",
    ],
)
def test_keys_textual_binds_are_accepted(keys: str) -> None:
    assert key_problem(keys) is None


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        ("", "invalid key '' (no key given)"),
        (" ", "invalid key ' ' (no key given)"),
        ("k,", "invalid key '' in 'k,' (an empty key in the list; the comma key is 'comma')"),
        ("ctrl+", "invalid key 'ctrl+' (no key after the modifier, e.g. 'ctrl+k')"),
        ("not a key", "invalid key 'not a key' ('not a key' is not a key name: "),
        ("F5", "invalid key 'F5' ('F5' is not a key name: "),
        ("ctrl+?", "invalid key 'ctrl+?' ('?' is not a key name after a modifier: "),
        ("ctrl+K", "invalid key 'ctrl+K' ('K' is not a key name after a modifier: "),
        ("cmd+k", "invalid key 'cmd+k' ('cmd' is not a modifier; they are alt, ctrl, "),
        ("shift+ctrl+a", "invalid key 'shift+ctrl+a' (modifiers come once each, in the order "),
        ("ctrl+ctrl+a", "invalid key 'ctrl+ctrl+a' (modifiers come once each, in the order "),
        ("k,ctrl+", "invalid key 'ctrl+' in 'k,ctrl+' (no key after the modifier"),
    ],
)
def test_keys_textual_cannot_bind_are_refused(keys: str, reason: str) -> None:
    problem = key_problem(keys)
    assert problem is not None
    assert problem.startswith(reason)


def test_every_named_key_of_textual_is_accepted() -> None:
    named = {key.value for key in Keys if not key.value.startswith("<")}
    for keys in ANSI_SEQUENCES_KEYS.values():
        if isinstance(keys, tuple):
            named |= {key.value for key in keys if not key.value.startswith("<")}
    assert [key for key in sorted(named) if key_problem(key)] == []


@pytest.mark.parametrize(
    ("sequence", "key"),
    [
        ("\x1b[97;5u", "ctrl+a"),  # kitty keyboard protocol
        ("\x1b[97;6u", "ctrl+shift+a"),
        ("\x1b[97;9u", "super+a"),
        ("\x1b[63;5u", "ctrl+question_mark"),
        ("\x1b[13;5u", "ctrl+enter"),
        ("\x1b[1;5A", "ctrl+up"),
        ("\x1b[15;2~", "shift+f5"),
        ("\x1bA", "alt+shift+a"),
        ("?", "question_mark"),
        ("K", "K"),
    ],
)
def test_keys_the_terminal_parser_reports_are_accepted(sequence: str, key: str) -> None:
    parser = XTermParser()
    events = list(parser.feed(sequence))
    with contextlib.suppress(ParseError):
        events += parser.feed("")  # end of input: a lone escape sequence is complete
    assert [event.key for event in events if isinstance(event, Key)] == [key]
    assert key_problem(key) is None


def test_a_bad_key_is_named_under_its_binding_id() -> None:
    ((line),) = _errors({"keymap": {"station.actions": "ctrl+"}})
    assert line == (
        "c.toml: tui.keymap.\"station.actions\": invalid key 'ctrl+' "
        "(no key after the modifier, e.g. 'ctrl+k')"
    )


def test_every_problem_is_reported_at_once() -> None:
    lines = _errors({"theme": "nosuch", "keymap": {"nope": "k", "app.quit": "not a key"}})
    assert [line.split(": ")[1] for line in lines] == [
        "tui.theme",
        "tui.keymap.nope",
        'tui.keymap."app.quit"',
    ]


# -- the shipped config.toml ----------------------------------------------------------------


def _comment_before(key: str) -> str:
    """The comment lines just above ``key = …`` in the shipped config's [tui] section."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    lines = text.split("\n[tui]\n", 1)[1].splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith(f"{key} = "))
    start = end
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    return "\n".join(lines[start:end])


def test_shipped_config_s_tui_section_passes() -> None:
    assert tui_config_errors(load_config(ROOT / "config.toml"), "config.toml") == []


def test_shipped_config_s_keymap_example_names_real_ids_and_keys() -> None:
    comment = _comment_before("keymap")
    (example,) = re.findall(r"^#\s+(keymap = \{.*\})$", comment, re.MULTILINE)
    keymap = tomlkit.parse(example).unwrap()["keymap"]
    assert keymap
    assert set(keymap) <= binding_ids()
    assert tui_config_errors(config_from_dict({"tui": {"keymap": keymap}}), "example") == []
    named = set(re.findall(r'"([a-z_]+\.[a-z_]+)"', comment))
    assert named
    assert named <= binding_ids()


def test_shipped_config_s_theme_comment_names_real_themes() -> None:
    named = set(re.findall(r'"([^"]+)"', _comment_before("theme")))
    assert named
    assert named <= set(theme_names())
