from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket

from tests.support import Fake, fake_aws


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    """Unit tests cannot reach the network: every socket is refused."""
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


@pytest.fixture
def aws() -> Iterator[Fake]:
    with fake_aws() as fake:
        yield fake
