"""The function's own exception types."""

from __future__ import annotations


class CertCleanupError(Exception):
    """Base class for errors raised by cert-cleanup."""


class ConfigError(CertCleanupError):
    """A setting is missing or malformed; the message names the variable."""


class InvalidEventError(CertCleanupError):
    """The invocation event is neither a scheduled event nor a manual request."""


class LookupFailed(CertCleanupError):
    """An AWS lookup could not be completed after retries."""

    def __init__(self, *, service: str, region: str, operation: str, code: str, message: str) -> None:
        super().__init__(f"{service} {operation} in {region}: {code}: {message}")
        self.service = service
        self.region = region
        self.operation = operation
        self.code = code
        self.message = message


class RunFailed(CertCleanupError):
    """The run completed its report but something in it failed; raised so the invocation fails."""
