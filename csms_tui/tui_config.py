"""Checks of the ``[tui]`` section that need the console's own knowledge: the themes it can
show, the binding ids its classes declare and the keys Textual can bind.

``core`` loads the section without these checks (it never imports the console or Textual), so
``csms-tui config check`` and the console's start call :func:`tui_config_errors` after loading.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

from textual._keyboard_protocol import FUNCTIONAL_KEYS
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import KEY_ALIASES, Keys, _character_to_key

from core.config import Config

# Textual names a key press's modifiers once each, in this (sorted) order: "ctrl+shift+up".
MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")

# Whole keys Textual also matches a binding on: ``ctrl+m`` is ``enter``, ``ctrl+i`` is ``tab`` …
_ALIASES = frozenset(alias for aliases in KEY_ALIASES.values() for alias in aliases)

# What may follow the modifiers: the names Textual gives key presses. A lone character is
# accepted as it is (Textual turns "?" into "question_mark"), but after a modifier only a name
# matches — "ctrl+?" never does, "ctrl+question_mark" does; "ctrl+K" never does, "ctrl+k" does.
KEY_NAMES = frozenset(
    {key.value.rpartition("+")[2] for key in Keys if not key.value.startswith("<")}
    | set(FUNCTIONAL_KEYS.values())
    | {
        _character_to_key(char)
        for char in string.digits + string.ascii_lowercase + string.punctuation + " "
    }
)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def theme_names() -> list[str]:
    """The themes the console accepts for ``tui.theme``: those registered on a console (Textual's
    built-in themes, plus any the console adds), read from an instance that is never run."""
    from csms_tui.app import CsmsConsole

    return sorted(CsmsConsole().available_themes)


def binding_ids() -> frozenset[str]:
    """The ``id`` of every :class:`~textual.binding.Binding` of the console's classes (the app,
    its screens and widgets, and the Textual classes they build on): what ``tui.keymap`` may
    remap."""
    import csms_tui.app  # noqa: F401  (defines, and imports, every class of the console)

    ids: set[str] = set()
    for cls in _subclasses(DOMNode):
        if not cls.__module__.startswith("csms_tui."):
            continue
        for base in cls.__mro__:
            for binding in vars(base).get("BINDINGS", ()):
                if isinstance(binding, Binding) and binding.id:
                    ids.add(binding.id)
    return frozenset(ids)


def _subclasses(cls: type[DOMNode]) -> Iterator[type[DOMNode]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def key_problem(keys: str) -> str | None:
    """Why Textual cannot bind ``keys`` (one key or a comma-separated list of keys, as in a
    ``Binding``), or None if it can."""
    if not keys.strip():
        return f"invalid key {keys!r} (no key given)"
    parts = [part.strip() for part in keys.split(",")]
    for key in parts:
        why = _why_not(key)
        if why is not None:
            where = f"{key!r} in {keys!r}" if len(parts) > 1 else repr(keys)
            return f"invalid key {where} ({why})"
    return None


def _why_not(key: str) -> str | None:
    if not key:
        return "an empty key in the list; the comma key is 'comma'"
    if len(key) == 1 or key in _ALIASES:
        return None
    *modifiers, name = key.split("+")
    if not name:
        return "no key after the modifier, e.g. 'ctrl+k'"
    unknown = [modifier for modifier in modifiers if modifier not in MODIFIERS]
    if unknown:
        return f"{unknown[0]!r} is not a modifier; they are {', '.join(MODIFIERS)}"
    if modifiers != sorted(set(modifiers)):
        return f"modifiers come once each, in the order {'+'.join(MODIFIERS)}"
    if name not in KEY_NAMES:
        allowed = "a lower-case letter, a digit" if modifiers else "a single character"
        return (
            f"{name!r} is not a key name{' after a modifier' if modifiers else ''}: "
            f"{allowed} or a name such as 'enter', 'f5', 'space' or 'question_mark'"
        )
    return None


def tui_config_errors(config: Config, source: str) -> list[str]:
    """The ``[tui]`` section's problems, one ``SOURCE: KEY: REASON`` line each (empty if none)."""
    errors: list[str] = []
    themes = theme_names()
    if config.tui.theme not in themes:
        errors.append(
            f"{source}: tui.theme: unknown theme {config.tui.theme!r} (one of: {', '.join(themes)})"
        )
    ids = binding_ids()
    for binding_id, keys in config.tui.keymap.items():
        where = f"{source}: tui.keymap.{_toml_key(binding_id)}"
        if binding_id not in ids:
            errors.append(f"{where}: unknown binding id (one of: {', '.join(sorted(ids))})")
        problem = key_problem(keys)
        if problem is not None:
            errors.append(f"{where}: {problem}")
    return errors


def _toml_key(key: str) -> str:
    """``key`` as written in TOML: bare if it can be, else quoted (binding ids contain dots)."""
    if _BARE_KEY.fullmatch(key):
        return key
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
