"""eMAID / contract-id normalisation (ISO 15118 / eMI3 shape ``CC[-]PPP[-]IIIIIIIII[-][D]``).

Extracts the country code (2 letters), provider id (3 alphanumerics), instance (9 alphanumerics)
and optional check character, drops the separators and upper-cases the result.

Known gap: the eMI3 check character (the matrix algorithm of the OCHP "EVCOID check digit"
paper) is neither computed nor verified yet — a supplied 15th character is kept as given, and none
is appended. It will be added with published test vectors; until then no eMAID is refused or
altered on the strength of an unverified algorithm.
"""

from __future__ import annotations

import re

_EMAID = re.compile(
    r"^(?P<cc>[A-Za-z]{2})-?(?P<provider>[A-Za-z0-9]{3})-?(?P<instance>[A-Za-z0-9]{9})-?(?P<check>[A-Za-z0-9])?$"
)


def normalise_emaid(text: str) -> str:
    """``"gb-twk-c12345678"`` → ``"GBTWKC12345678"``; raises ValueError for anything else."""
    match = _EMAID.match(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not an eMAID: expected CC-PPP-IIIIIIIII[-D] "
            "(2 letters, 3 and 9 alphanumerics, optional check character)"
        )
    return "".join(
        part for part in match.group("cc", "provider", "instance", "check") if part
    ).upper()
