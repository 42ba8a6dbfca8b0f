"""Services that can use an IAM server certificate: one module per service.

Each module exposes ``SERVICE`` (the boto3 service name), ``REGIONAL`` (searched in every region,
or once globally) and ``find_uses(client, scope)``, which turns that service's pages into the list
of :class:`~cert_cleanup.models.Use` found. A failed or malformed call raises
:class:`~cert_cleanup.errors.LookupFailed` (via :func:`cert_cleanup.aws.clients.lookup`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

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
    SERVICE: str
    REGIONAL: bool

    def find_uses(self, client: Any, scope: Scope) -> list[Any]: ...
