"""eMAID / contract-id normalisation (ISO 15118 / eMI3 shape ``CC[-]PPP[-]IIIIIIIII[-][D]``).

Extracts the country code (2 letters), provider id (3 alphanumerics), instance (9 alphanumerics)
and optional check character, drops the separators, upper-cases the result and appends the check
character — or, when one was supplied, refuses the id unless it is the right one.

The check character is the eMI3 / OCHP "contract-ID check digit": each alphanumeric ``v``
(0-9, A-Z → 0..35) is split as ``v = 18·q1 + 9·q2 + 3·r1 + r2`` into a vector ``q`` over GF(2)
and a vector ``r`` over GF(3); the character at position ``i`` (1-based) contributes ``q·P1^i``
and ``r·P2^i`` with ``P1 = [[0,1],[1,1]]`` and ``P2 = [[0,1],[1,2]]``; the check character is
the one whose contribution at position 15 makes both sums zero. Two transposed characters
therefore always change it, which a plain mod-36 sum would not catch. Verified against the
published examples (``DE8AACA2B3C4D5L``, ``DE83DUIEN83QGZD``, ``DE83DUIEN83ZGQM``) and OCPI's
``NL-TST-C12345678-S``.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ID_LENGTH = 14  # without the check character

_EMAID = re.compile(
    r"^(?P<cc>[A-Za-z]{2})-?(?P<provider>[A-Za-z0-9]{3})-?(?P<instance>[A-Za-z0-9]{9})-?(?P<check>[A-Za-z0-9])?$"
)

Matrix = tuple[int, int, int, int]  # row-major 2×2
Vector = tuple[int, int]

_P1: Matrix = (0, 1, 1, 1)  # over GF(2)
_P2: Matrix = (0, 1, 1, 2)  # over GF(3)


def _mul(a: Matrix, b: Matrix, m: int) -> Matrix:
    return (
        (a[0] * b[0] + a[1] * b[2]) % m,
        (a[0] * b[1] + a[1] * b[3]) % m,
        (a[2] * b[0] + a[3] * b[2]) % m,
        (a[2] * b[1] + a[3] * b[3]) % m,
    )


def _powers(p: Matrix, m: int) -> list[Matrix]:
    """``p^0 … p^15`` — computed once; the hot path only looks them up."""
    out: list[Matrix] = [(1, 0, 0, 1)]
    for _ in range(ID_LENGTH + 1):
        out.append(_mul(out[-1], p, m))
    return out


_P1_POW = _powers(_P1, 2)
_P2_POW = _powers(_P2, 3)


def _split(value: int) -> tuple[Vector, Vector]:
    return (value // 18, value // 9 % 2), (value // 3 % 3, value % 3)


def _times(v: Vector, a: Matrix, m: int) -> Vector:
    return (v[0] * a[0] + v[1] * a[2]) % m, (v[0] * a[1] + v[1] * a[3]) % m


# What each candidate contributes at position 15, keyed by that contribution: the check
# character is the candidate whose contribution cancels the sum of the first 14.
_CHECK_BY_CONTRIBUTION: dict[tuple[Vector, Vector], str] = {}
for _value, _char in enumerate(ALPHABET):
    _q, _r = _split(_value)
    _CHECK_BY_CONTRIBUTION[
        (_times(_q, _P1_POW[ID_LENGTH + 1], 2), _times(_r, _P2_POW[ID_LENGTH + 1], 3))
    ] = _char


def check_character(emaid: str) -> str:
    """The eMI3 check character of a 14-character eMAID without separators (any case)."""
    if len(emaid) != ID_LENGTH:
        raise ValueError(f"{emaid!r}: the check character needs exactly {ID_LENGTH} characters")
    t0 = t1 = s0 = s1 = 0
    for position, char in enumerate(emaid.upper(), start=1):
        value = ALPHABET.find(char)
        if value < 0:
            raise ValueError(f"{emaid!r}: {char!r} is not a letter or digit")
        q, r = _split(value)
        a, b = _P1_POW[position], _P2_POW[position]
        t0 += q[0] * a[0] + q[1] * a[2]
        t1 += q[0] * a[1] + q[1] * a[3]
        s0 += r[0] * b[0] + r[1] * b[2]
        s1 += r[0] * b[1] + r[1] * b[3]
    # In GF(2) a sum is its own negative; in GF(3) the cancelling contribution is -s.
    return _CHECK_BY_CONTRIBUTION[((t0 % 2, t1 % 2), ((-s0) % 3, (-s1) % 3))]


def normalise_emaid(text: str) -> str:
    """``"nl-tst-c12345678"`` → ``"NLTSTC12345678S"``; raises ValueError for anything else,
    including a supplied check character that is not the right one."""
    match = _EMAID.match(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not an eMAID: expected CC-PPP-IIIIIIIII[-D] "
            "(2 letters, 3 and 9 alphanumerics, optional check character)"
        )
    body = "".join(match.group("cc", "provider", "instance")).upper()
    expected = check_character(body)
    supplied = match.group("check")
    if supplied is not None and supplied.upper() != expected:
        raise ValueError(
            f"{text!r}: check character {supplied.upper()!r} is wrong, "
            f"{body}{expected} is the valid form"
        )
    return body + expected
