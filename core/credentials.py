"""How a station password is kept: base64(SHA-256(password)), padded — MaEVe's form, which its
API and database carry as ``base64SHA256Password``. The only copy of the rule: registration,
rotation and the gateway's check all hash through here."""

from __future__ import annotations

import base64
import hashlib


def hash_password(password: str | bytes) -> str:
    raw = password.encode() if isinstance(password, str) else password
    return base64.b64encode(hashlib.sha256(raw).digest()).decode()
