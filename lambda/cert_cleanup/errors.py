"""The function's own exception types."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cert_cleanup.models import FailedLookup


class CertCleanupError(Exception):
    """Base class for errors raised by cert-cleanup."""


class ConfigError(CertCleanupError):
    """A setting is missing or malformed; the message names the variable."""


class InvalidEventError(CertCleanupError):
    """The invocation event is neither a scheduled event nor a manual request."""


class LookupFailed(CertCleanupError):
    """An AWS lookup could not be completed after retries; ``failure`` says which and why."""

    def __init__(self, failure: FailedLookup) -> None:
        where = f"{failure.service} {failure.operation} in {failure.region}"
        super().__init__(f"{where}: {failure.code}: {failure.message}")
        self.failure = failure


class RunFailed(CertCleanupError):
    """The run completed its report but something in it failed; raised so the invocation fails."""
