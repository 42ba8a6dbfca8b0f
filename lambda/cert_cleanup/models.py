"""Plain data the function passes around: no boto3 here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cert_cleanup import names

# The reason of a row whose delete IAM refused with DeleteConflict: a user the search did not see.
DELETE_REFUSED = "IAM refused the delete"


class Action(StrEnum):
    """What happened to one certificate in a run: exactly one per certificate."""

    VALID = "valid"
    EXPIRING_SOON = "expiring_soon"
    GRACE_PERIOD = "grace_period"
    EXEMPT = "exempt"
    IN_USE = "in_use"
    USAGE_UNKNOWN = "usage_unknown"
    WOULD_DELETE = "would_delete"
    DELETED = "deleted"
    FAILED = "failed"


class Pending(StrEnum):
    """A decision that needs more evidence, or that says: delete now."""

    NEEDS_TAGS = "needs_tags"
    NEEDS_USAGE = "needs_usage"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Certificate:
    """One IAM server certificate, from ListServerCertificates metadata."""

    name: str
    id: str
    arn: str
    path: str
    expiration: datetime
    upload_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class Use:
    """One resource found using a certificate, referenced by ARN or by certificate id."""

    service: str
    region: str
    user_arn: str
    certificate_arn: str | None = None
    certificate_id: str | None = None


@dataclass(frozen=True, slots=True)
class FailedLookup:
    """A lookup that could not be completed: the run fails closed."""

    service: str
    region: str
    operation: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "service": self.service,
            "region": self.region,
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Skipped:
    """A (service, region) pair a run did not search, and why: nothing there can use a certificate."""

    service: str
    region: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"service": self.service, "region": self.region, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Usage:
    """What the usage search proved about one certificate.

    ``complete`` is true only when every lookup of the run succeeded: then an empty ``used_by``
    proves the certificate unused.
    """

    complete: bool
    used_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is known about a certificate beyond its metadata; ``None`` means not looked up."""

    exempt: bool | None = None
    tags_failed: bool = False
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """The parts of the settings that the decision rule reads."""

    grace_days: int
    expiry_warning_days: int
    dry_run: bool


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Action | Pending
    reason: str


@dataclass(slots=True)
class CertificateResult:
    """One row of the run's result."""

    certificate: Certificate
    action: Action
    reason: str
    used_by: tuple[str, ...] = ()
    archived_to: str | None = None

    def as_dict(self) -> dict[str, object]:
        cert = self.certificate
        row: dict[str, object] = {
            "name": cert.name,
            "arn": cert.arn,
            "id": cert.id,
            "path": cert.path,
            "expiration": cert.expiration.isoformat(),
            "action": self.action.value,
            "reason": self.reason,
            "used_by": list(self.used_by),
        }
        if self.archived_to:
            row["archived_to"] = self.archived_to
        return row


@dataclass(slots=True)
class RunResult:
    """The whole run: what the handler returns and what the summary is made from."""

    run_id: str
    account: str
    account_label: str | None
    dry_run: bool
    started_at: datetime
    regions: list[str] = field(default_factory=list)
    certificates: list[CertificateResult] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    finished_at: datetime | None = None
    # Best-effort steps after the run (AWS Config re-evaluation): never a failure, never a reason to keep.
    warnings: list[str] = field(default_factory=list)
    compliance: dict[str, object] | None = None
    # Why a person is told about this run (empty: the summary is for machines only).
    told_because: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for row in self.certificates:
            counts[row.action.value] += 1
        return counts

    def count(self, action: Action) -> int:
        return sum(1 for row in self.certificates if row.action is action)

    @property
    def audience(self) -> str:
        return names.AUDIENCE_PEOPLE if self.told_because else names.AUDIENCE_MACHINES

    @property
    def failed(self) -> bool:
        return bool(self.errors) or self.count(Action.FAILED) > 0

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "account": self.account,
            "account_label": self.account_label,
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "regions": list(self.regions),
            "counts": self.counts(),
            "certificates": [row.as_dict() for row in self.certificates],
            "errors": list(self.errors),
            "skipped": [item.as_dict() for item in self.skipped],
            "warnings": list(self.warnings),
            "compliance": self.compliance,
            "audience": self.audience,
            "told_because": list(self.told_because),
        }
