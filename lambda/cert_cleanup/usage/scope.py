"""What a consumer is (a service that can use an IAM server certificate: one module per service) and where it
searches (the account, the region, how to fan out its calls).

Each consumer module declares ``SERVICE`` (the boto3 service name), ``PERMISSIONS`` (what its calls need),
``REGIONAL`` (searched in every region, or once globally) and ``find_uses(client, scope)``, which turns that
service's pages into the list of :class:`~cert_cleanup.models.Use` found. A failed or malformed call raises
:class:`~cert_cleanup.errors.LookupFailed` (via :func:`cert_cleanup.aws.clients.lookup`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from cert_cleanup.aws.permissions import Permission
from cert_cleanup.models import Use

T = TypeVar("T")
R = TypeVar("R")


class FanOut(Protocol):
    """Runs ``fn`` over ``items`` with bounded concurrency and returns the results in order."""

    def __call__(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]: ...


def sequential(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    return [fn(item) for item in items]


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a consumer searches: the account, the region, and how to fan out calls."""

    account: str
    partition: str
    region: str
    fan_out: FanOut = sequential


class Consumer(Protocol):
    """What a consumer module declares (usage/elb_classic.py, ...): its service, the permissions its calls need,
    whether it is searched in every region or once, and how it finds the resources that use a certificate."""

    SERVICE: str
    REGIONAL: bool

    @property
    def PERMISSIONS(self) -> tuple[Permission, ...]: ...

    def find_uses(self, client: Any, scope: Scope) -> list[Use]: ...
