from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from pytest_socket import disable_socket, enable_socket

from emulator import aws_fakes
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


@pytest.fixture
def iam_safety_net(aws: Fake) -> Fake:
    """The emulated account with IAM's safety net on: a delete of a certificate a load balancer uses is refused with
    DeleteConflict. AWS often refuses, but promises nothing (emulator/aws_fakes.py), so only the tests of the net
    itself ask for it; every other test proves what the usage search found."""
    aws_fakes.SETTINGS.refuse_bound_deletes = True
    return aws
