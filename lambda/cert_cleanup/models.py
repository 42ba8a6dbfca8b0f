"""Plain data the function passes around: no boto3 here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cert_cleanup.config import names

# How the reason of a row whose delete IAM refused with DeleteConflict starts (the code reads its
# DeleteAnswer, never this text): a user the search did not see.
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
    # Listed at the start of the run, gone by the time the run read or deleted it: someone else deleted it
    # (another tool, a person). Not this run's deletion: never told or counted as one.
    ALREADY_GONE = "already_gone"
    FAILED = "failed"


# Actions that leave an expired certificate in the account: Security Hub IAM.26 stays FAILED.
EXPIRED_KEPT = frozenset(
    {Action.IN_USE, Action.EXEMPT, Action.GRACE_PERIOD, Action.WOULD_DELETE, Action.USAGE_UNKNOWN, Action.FAILED}
)


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


ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
THROTTLED = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"})
SCP_HINT = (
    "a service control policy denies this call: cert-cleanup cannot prove a certificate unused while a region "
    "it cannot read may hold a load balancer; exempt its role from the policy's region deny (AWS's example "
    "region-deny policies exempt roles by aws:PrincipalARN)"
)


@dataclass(frozen=True, slots=True)
class FailedLookup:
    """A call that could not be completed, where it happened: a lookup fails the run closed; a failed
    publish fails the invocation. The one failure type, from the call to the JSON and the email."""

    service: str
    region: str
    operation: str
    code: str
    message: str

    @property
    def call(self) -> str:
        """Which call failed, and where: ``elbv2 DescribeListeners in eu-west-1``."""
        return f"{self.service} {self.operation} in {self.region}"

    def __str__(self) -> str:
        return f"{self.call}: {self.code}: {self.message}"

    @property
    def hint(self) -> str | None:
        """What a person can do about it, when the code says."""
        if self.code in ACCESS_DENIED:
            if "service control policy" in self.message.lower():
                return SCP_HINT
            return "the role or credentials making the call lack this permission, or a policy denies it"
        if self.code in THROTTLED:
            return "still throttled after retries; a later run tries again"
        return None

    def as_dict(self) -> dict[str, str]:
        entry = {
            "service": self.service,
            "region": self.region,
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
        }
        if self.hint:
            entry["hint"] = self.hint
        return entry

    @classmethod
    def from_dict(cls, entry: Mapping[str, str]) -> FailedLookup:
        """The failure an ``as_dict`` entry describes (its hint follows from the code)."""
        return cls(entry["service"], entry["region"], entry["operation"], entry["code"], entry["message"])


@dataclass(frozen=True, slots=True)
class Skipped:
    """A (service, region) pair a run did not search, and why: nothing there can use a certificate."""

    service: str
    region: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"service": self.service, "region": self.region, "reason": self.reason}

    @classmethod
    def from_dict(cls, entry: Mapping[str, str]) -> Skipped:
        return cls(entry["service"], entry["region"], entry["reason"])


@dataclass(frozen=True, slots=True)
class Usage:
    """What the usage search proved about one certificate.

    ``complete`` is true only when every lookup of the run succeeded and every region enabled for the
    account was searched: then an empty ``used_by`` proves the certificate unused. ``left_out`` names the
    enabled regions a narrowed search (``cert-cleanup scan --region``) did not look at.
    """

    complete: bool
    used_by: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()


class Searched(StrEnum):
    """How far a certificate's ``used_by`` can be trusted: an empty list never means "not looked"."""

    COMPLETE = "complete"  # every lookup succeeded in every enabled region: used_by is every user
    INCOMPLETE = "incomplete"  # a lookup failed or regions were left out: used_by may miss users
    NOT_SEARCHED = "not_searched"  # no certificate of this run needed the search


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


class DeleteAnswer(StrEnum):
    """What IAM answered a delete, when it was not a plain success: the code reads this, never the reason."""

    REFUSED_IN_USE = "refused_in_use"  # DeleteConflict: IAM says a resource uses it
    # NoSuchEntity on a retry of this run's own delete: the first attempt's answer was lost (a 5xx, a timeout) after
    # IAM had deleted it. The run checked just before that the name still held the certificate: its deletion.
    GONE_ON_RETRY = "gone_on_retry"


@dataclass(frozen=True, slots=True)
class Successor:
    """The certificate that can replace an expired one on one resource that uses it (successor.py decides).

    ``names``: every name the expired certificate serves. ``arn`` is set only for a certificate that covers every
    one of them, valid, where the resource can use it (``region``); without one, ``closest`` is the valid
    certificate that covers the most of them and ``missing`` the names it leaves uncovered, and ``note`` says why
    none could be looked for when that is the case (ACM unreadable, the body unreadable).
    """

    used_by: str
    region: str
    names: tuple[str, ...]
    arn: str | None = None
    not_after: datetime | None = None
    source: str | None = None  # "acm" or "iam"
    closest: str | None = None
    missing: tuple[str, ...] = ()
    note: str | None = None

    def text(self) -> str:
        """``replace with <ARN> (valid until <date>, covers <names>)`` or what to do when no certificate covers
        every name; the same words in the email, the chat post and the Security Hub note."""
        names = ", ".join(self.names) or "no name that could be read"
        if self.arn and self.not_after:
            return f"replace with {self.arn} (valid until {self.not_after.date().isoformat()}, covers {names})"
        if self.note:
            return f"no successor named: {self.note}"
        text = f"no certificate covers {names}: request one in ACM or import one"
        if self.closest and self.missing:
            text += f" (closest: {self.closest}, which does not cover {', '.join(self.missing)})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "used_by": self.used_by,
            "region": self.region,
            "names": list(self.names),
            "arn": self.arn,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "source": self.source,
            "closest": self.closest,
            "missing": list(self.missing),
            "note": self.note,
            "text": self.text(),
        }

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> Successor:
        not_after = entry.get("not_after")
        return cls(
            used_by=entry["used_by"],
            region=entry["region"],
            names=tuple(entry["names"]),
            arn=entry.get("arn"),
            not_after=datetime.fromisoformat(not_after) if not_after else None,
            source=entry.get("source"),
            closest=entry.get("closest"),
            missing=tuple(entry.get("missing", ())),
            note=entry.get("note"),
        )


@dataclass(slots=True)
class CertificateResult:
    """One row of the run's result."""

    certificate: Certificate
    action: Action
    reason: str
    used_by: tuple[str, ...] = ()
    archived_to: str | None = None
    searched: Searched = Searched.NOT_SEARCHED
    delete_answer: DeleteAnswer | None = None
    # An expired certificate in use: what can replace it on each resource that uses it (successor.py).
    successors: tuple[Successor, ...] = ()

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
            "usage_search": self.searched.value,
        }
        if self.archived_to:
            row["archived_to"] = self.archived_to
        if self.delete_answer:
            row["delete_answer"] = self.delete_answer.value
        if self.successors:
            row["successors"] = [successor.as_dict() for successor in self.successors]
        return row

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> CertificateResult:
        """The row an ``as_dict`` row describes."""
        cert = Certificate(row["name"], row["id"], row["arn"], row["path"], datetime.fromisoformat(row["expiration"]))
        answer = row.get("delete_answer")
        return cls(
            cert,
            Action(row["action"]),
            row["reason"],
            tuple(row["used_by"]),
            archived_to=row.get("archived_to"),
            searched=Searched(row["usage_search"]),
            delete_answer=DeleteAnswer(answer) if answer else None,
            successors=tuple(Successor.from_dict(entry) for entry in row.get("successors", ())),
        )


@dataclass(slots=True)
class RunResult:
    """The whole run: what the handler returns and what the summary is made from."""

    run_id: str
    account: str
    account_label: str | None
    dry_run: bool
    started_at: datetime
    regions: list[str] = field(default_factory=list)
    # Why this run is a dry run, for the person reading it (what to change to delete); empty when not one.
    dry_run_because: str = ""
    # Enabled regions a narrowed search did not look at (the command line's scan --region): no certificate
    # is proven unused, so none is deleted.
    regions_left_out: list[str] = field(default_factory=list)
    certificates: list[CertificateResult] = field(default_factory=list)
    errors: list[FailedLookup] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    finished_at: datetime | None = None
    # Best-effort steps after the run (AWS Config re-evaluation, Security Hub write-back, the chat post): never
    # a failure, never a reason to keep.
    warnings: list[str] = field(default_factory=list)
    compliance: dict[str, object] | None = None
    # What was written back to Security Hub's IAM.26 finding(s), after a real run (aws/securityhub.py).
    security_hub: dict[str, object] | None = None
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

    def expired_left(self) -> list[CertificateResult]:
        """The expired certificates this run leaves in the account, whatever kept them."""
        return [row for row in self.certificates if row.action in EXPIRED_KEPT]

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "account": self.account,
            "account_label": self.account_label,
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "regions": list(self.regions),
            "regions_left_out": list(self.regions_left_out),
            "counts": self.counts(),
            "certificates": [row.as_dict() for row in self.certificates],
            "errors": [error.as_dict() for error in self.errors],
            "skipped": [item.as_dict() for item in self.skipped],
            "warnings": list(self.warnings),
            "compliance": self.compliance,
            "security_hub": self.security_hub,
            "audience": self.audience,
            "told_because": list(self.told_because),
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> RunResult:
        """The run a result document (``as_dict``, the JSON published to machines) describes, as far as the
        document says: ``as_dict`` of it gives the document back."""
        finished = document["finished_at"]
        return cls(
            run_id=document["run_id"],
            account=document["account"],
            account_label=document["account_label"],
            dry_run=document["dry_run"],
            started_at=datetime.fromisoformat(document["started_at"]),
            finished_at=datetime.fromisoformat(finished) if finished else None,
            regions=list(document["regions"]),
            regions_left_out=list(document["regions_left_out"]),
            certificates=[CertificateResult.from_dict(row) for row in document["certificates"]],
            errors=[FailedLookup.from_dict(entry) for entry in document["errors"]],
            skipped=[Skipped.from_dict(entry) for entry in document["skipped"]],
            warnings=list(document["warnings"]),
            compliance=document["compliance"],
            security_hub=document["security_hub"],
            told_because=list(document["told_because"]),
        )
