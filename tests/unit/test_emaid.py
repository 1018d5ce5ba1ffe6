from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.services.emaid import ALPHABET, check_character, normalise_emaid

# Published examples: the eMI3/OCHP check-digit paper, OCPI 2.2.1's token example, MaEVe's
# test contract.
PUBLISHED = ["DE8AACA2B3C4D5L", "DE83DUIEN83QGZD", "DE83DUIEN83ZGQM", "NLTSTC12345678S",
             "GBTWK012345678V"]  # fmt: skip


@pytest.mark.parametrize("emaid", PUBLISHED)
def test_check_character_of_published_examples(emaid: str) -> None:
    assert check_character(emaid[:14]) == emaid[14]
    assert normalise_emaid(emaid) == emaid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nl-tst-c12345678", "NLTSTC12345678S"),
        ("NL-TST-C12345678-s", "NLTSTC12345678S"),
        (" de8aaca2b3c4d5 ", "DE8AACA2B3C4D5L"),
        ("DE-8AA-CA2B3C4D5-L", "DE8AACA2B3C4D5L"),
    ],
)
def test_normalise_appends_or_keeps_the_check_character(text: str, expected: str) -> None:
    assert normalise_emaid(text) == expected


def test_a_wrong_check_character_is_refused_with_the_valid_form() -> None:
    with pytest.raises(ValueError, match="check character 'X' is wrong, DE8AACA2B3C4D5L"):
        normalise_emaid("DE-8AA-CA2B3C4D5-X")


@pytest.mark.parametrize(
    "text", ["", "GBTWK-1", "G1TWKC12345678", "GB-TWK-C1234567890X", "GB_TWK_C12345678"]
)
def test_refuses_what_is_not_an_emaid(text: str) -> None:
    with pytest.raises(ValueError, match="not an eMAID"):
        normalise_emaid(text)


_ids = st.text(alphabet=ALPHABET, min_size=14, max_size=14)


@given(_ids, st.integers(0, 13), st.sampled_from(ALPHABET))
def test_every_single_character_error_changes_the_check(emaid: str, pos: int, char: str) -> None:
    changed = emaid[:pos] + char + emaid[pos + 1 :]
    if changed != emaid:
        assert check_character(changed) != check_character(emaid)


@given(_ids, st.integers(0, 12))
def test_every_adjacent_transposition_changes_the_check(emaid: str, pos: int) -> None:
    swapped = emaid[:pos] + emaid[pos + 1] + emaid[pos] + emaid[pos + 2 :]
    if swapped != emaid:
        assert check_character(swapped) != check_character(emaid)


def test_every_character_can_be_a_check_character() -> None:
    seen = {check_character("DE8AA" + "".join(p)) for p in itertools.product("0A9Z", repeat=9)}
    assert seen == set(ALPHABET)
