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
    """The invocation event is not one the function accepts (scheduled, by hand, a Security Hub finding or
    custom action: config/events.py), or has a field it does not know."""


class LookupFailed(CertCleanupError):
    """An AWS lookup could not be completed after retries; ``failure`` says which and why."""

    def __init__(self, failure: FailedLookup) -> None:
        super().__init__(str(failure))
        self.failure = failure


class RunFailed(CertCleanupError):
    """The run completed its report but something in it failed; raised so the invocation fails."""
