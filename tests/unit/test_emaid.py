from __future__ import annotations

import pytest

from core.services.emaid import normalise_emaid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gb-twk-c12345678", "GBTWKC12345678"),
        ("GBTWKC12345678", "GBTWKC12345678"),
        ("DE-8AA-CA2B3C4D5-X", "DE8AACA2B3C4D5X"),
        (" de8aaca2b3c4d5 ", "DE8AACA2B3C4D5"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise_emaid(text) == expected


@pytest.mark.parametrize(
    "text", ["", "GBTWK-1", "G1TWKC12345678", "GB-TWK-C1234567890X", "GB_TWK_C12345678"]
)
def test_refuses_what_is_not_an_emaid(text: str) -> None:
    with pytest.raises(ValueError, match="not an eMAID"):
        normalise_emaid(text)
