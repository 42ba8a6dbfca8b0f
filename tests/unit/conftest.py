from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

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
    """An emulated account where cert-cleanup was deployed two days ago (a first run after a deploy is the
    tests' own business: Fake.deploy_function)."""
    with fake_aws() as fake:
        fake.deploy_function(at=fake.now - timedelta(days=2))
        yield fake
