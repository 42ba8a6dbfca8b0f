"""AWS clients: one place that sets retries, timeouts and the user agent; injectable in tests."""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING, Any, TypeVar

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from cert_cleanup import __version__
from cert_cleanup.errors import LookupFailed
from cert_cleanup.models import FailedLookup

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

MAX_ATTEMPTS = 8
# The most calls one run has in flight to one service in one region: polite to API rate limits,
# and enough to hide latency. Throttled calls are retried by botocore, never hammered: its adaptive
# mode adds a client-side token bucket that slows a client as soon as the service throttles it.
# Each client is shared by every thread of a run, so the run's IAM calls share one bucket, which
# matters because IAM's limit is shared by everything in the account.
MAX_IN_FLIGHT = 8
MAX_POOL_CONNECTIONS = 16
DEFAULT_REGION = "us-east-1"  # when the session names no region (the command-line tool without a profile region)
MALFORMED_RESPONSE = "MalformedResponse"
# What a call can raise once botocore has given up: an AWS error, a botocore failure (connection,
# timeout...), or a body botocore cannot parse (e.g. an HTML 5xx page: not a BotoCoreError).
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ResponseParserError)
AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, *TRANSPORT_ERRORS)

CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": MAX_ATTEMPTS},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=MAX_POOL_CONNECTIONS,
    user_agent_extra=f"cert-cleanup/{__version__}",
)
# After the deletions, what informs people: best-effort steps (best_effort.py) and the summary's publish. Few
# attempts and short timeouts, so that a hung endpoint costs seconds, not the ~18 minutes the run's own settings
# would allow (8 attempts of a 30 s read): the summary must go out well before the invocation's timeout.
BEST_EFFORT_CONFIG = CLIENT_CONFIG.merge(
    Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)
)

# The summary's publish: the one call after the deletions that must succeed. More attempts than a best-effort
# step, still bounded (5 attempts of a 10 s read) within the time best_effort.RESERVED_SECONDS keeps for it.
PUBLISH_CONFIG = CLIENT_CONFIG.merge(
    Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10)
)


class AwsClients:
    """Creates and caches clients per (service, region). Thread-safe.

    Sessions are not thread-safe, clients are: clients are made under a lock, then shared. The
    clients come from botocore directly: importing boto3 (and its s3transfer) would add a fifth to a
    cold start, for nothing the function uses. ``session`` may be a botocore session or a boto3 one
    (the command line and the tests use boto3's; its botocore session is the one used).
    """

    def __init__(self, session: Any = None, config: Config | None = None) -> None:
        core = getattr(session, "_session", session)  # a boto3.Session wraps a botocore session
        self._session: botocore.session.Session = core or botocore.session.get_session()
        self._config = config or CLIENT_CONFIG
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def with_config(self, config: Config) -> AwsClients:
        """These clients (the same session, credentials, region, test hooks, and a subclass's own ``client``) with
        another botocore config; they share this one's lock, since the session is not thread-safe."""
        other = copy.copy(self)
        other._config = config
        other._clients = {}
        return other

    @property
    def home_region(self) -> str:
        return str(self._session.get_config_variable("region") or DEFAULT_REGION)

    @property
    def partition(self) -> str | None:
        """The home region's partition (``aws``, ``aws-cn``, ``aws-us-gov``...); None if botocore does not know it."""
        return self.partition_of(self.home_region)

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.home_region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.create_client(service, region_name=key[1], config=self._config)
                self._clients[key] = client
            return client

    def caller_account(self) -> str:
        """The account of these credentials (STS GetCallerIdentity, which needs no permission)."""
        return str(self.client("sts").get_caller_identity()["Account"])

    def service_regions(self, service: str, partition: str) -> frozenset[str]:
        """Regions of ``partition`` where botocore knows an endpoint for ``service``."""
        with self._lock:
            return frozenset(self._session.get_available_regions(service, partition_name=partition))

    def offers_global(self, service: str, partition: str) -> bool:
        """Whether ``partition`` has an endpoint for a global ``service`` (CloudFront: aws and aws-cn only)."""
        with self._lock:
            return bool(self._session.get_available_regions(service, partition_name=partition, allow_non_regional=True))

    def partition_of(self, region: str) -> str | None:
        try:
            return self._session.get_partition_for_region(region)
        except BotoCoreError:
            return None


def error_code(exc: BaseException) -> str:
    """The AWS error code of ``exc``, or the botocore exception's class name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "Unknown")
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Message") or exc)
    return str(exc)


T = TypeVar("T")


def every(
    client: Any, operation: str, items: Callable[[Any], Iterable[T]], *, page_size: int | None = None, **params: Any
) -> Iterator[T]:
    """Each item of every page of ``operation``; ``items`` takes a page's list out of it (``itemgetter("Key")``).

    A page without its list raises KeyError, which ``lookup`` reports as a malformed response: the lookup fails
    closed. (Paginators' own ``search()`` reads a missing key as no items, and an answer without its list would
    then prove a certificate unused.)
    """
    config = {"PageSize": page_size} if page_size else {}
    for page in client.get_paginator(operation).paginate(**params, PaginationConfig=config):
        yield from items(page)


def lookup(service: str, region: str, operation: str, call: Callable[[], T]) -> T:
    """Run one AWS read and parse it; any failure becomes :class:`LookupFailed`.

    ``call`` makes the request(s) and parses the response. An AWS error after botocore's retries
    keeps its error code; a response missing what the service model promises (KeyError,
    TypeError, ValueError while parsing) is reported as ``MalformedResponse``.
    """
    try:
        return call()
    except AWS_ERRORS as exc:
        raise LookupFailed(failure_of(service, region, operation, exc)) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        failure = FailedLookup(service, region, operation, MALFORMED_RESPONSE, f"{type(exc).__name__}: {exc}")
        raise LookupFailed(failure) from exc


def failure_of(service: str, region: str, operation: str, exc: BaseException) -> FailedLookup:
    """The failure an AWS error (or a botocore one) of ``operation`` comes to."""
    return FailedLookup(service, region, operation, error_code(exc), error_message(exc))
