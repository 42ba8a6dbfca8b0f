from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.process import Emulator, running


@pytest.fixture(scope="session")
def emulator_process() -> Iterator[Emulator]:
    """moto's server (with the AWS-behaviour patches) on a free port of 127.0.0.1."""
    with running() as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_process: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    emulator_process.reset()
    for name, value in emulator_process.environment().items():
        monkeypatch.setenv(name, value)
    return emulator_process
