from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.services import run_mosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[int]:
    with run_mosquitto(tmp_path) as port:
        yield port
