"""One run: inventory, decide, prove unused, archive, delete. Clients injected, time injected."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError

from cert_cleanup import best_effort, succession
from cert_cleanup.aws import archive, inventory
from cert_cleanup.aws.clients import (
    AWS_ERRORS,
    BEST_EFFORT_CONFIG,
    MAX_IN_FLIGHT,
    TRANSPORT_ERRORS,
    AwsClients,
    error_code,
    error_message,
)
from cert_cleanup.config import names
from cert_cleanup.config.observability import logger, metrics
from cert_cleanup.config.settings import Settings
from cert_cleanup.decide import decide
from cert_cleanup.errors import LookupFailed
from cert_cleanup.models import (
    DELETE_REFUSED,
    Action,
    Certificate,
    CertificateResult,
    Decision,
    DeleteAnswer,
    Evidence,
    FailedLookup,
    Pending,
    Policy,
    RunResult,
    Searched,
    Usage,
)
from cert_cleanup.usage.search import CONSUMERS, ProgressCallback, SearchOutcome, search_account

T = TypeVar("T")
R = TypeVar("R")
ALREADY_GONE = "already gone: deleted by someone else during this run (NoSuchEntity)"
GONE_ON_RETRY = (
    "IAM's answer to the delete was lost and its retry found the certificate gone (NoSuchEntity): deleted by this "
    "run, which had checked just before that the name still held it"
)
# Outside Lambda (no invocation's end), the time naming successors starts with: one best-effort step's whole budget.
SUCCESSORS_SECONDS = best_effort.STEP_LIMIT_SECONDS + best_effort.RESERVED_SECONDS
ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:[^\s,;\"']+")


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What one run needs beyond the settings."""

    account: str
    dry_run: bool
    now: datetime
    run_id: str
    on_progress: ProgressCallback | None = None
    # A narrowed search (the command line's scan --region): only these enabled regions are searched, and
    # nothing can be proven unused, so nothing is deleted.
    regions: tuple[str, ...] | None = None
    # The ServerCertificateIds a person approved for deletion (the command line's prompt): any other certificate
    # this run would delete is kept and said so. None: no approval asked (the function, --yes).
    approved: frozenset[str] | None = None
    # When the invocation ends: the best-effort work after the deletions (naming successors) keeps to its budget.
    # None outside Lambda (the command line): SUCCESSORS_SECONDS from when that work starts.
    deadline: best_effort.Deadline | None = None

    @classmethod
    def create(
        cls,
        account: str,
        *,
        dry_run: bool,
        now: datetime | None = None,
        run_id: str | None = None,
        on_progress: ProgressCallback | None = None,
        regions: tuple[str, ...] | None = None,
        approved: frozenset[str] | None = None,
        deadline: best_effort.Deadline | None = None,
    ) -> RunOptions:
        return cls(
            account=account,
            dry_run=dry_run,
            now=now or datetime.now(UTC),
            run_id=run_id or uuid.uuid4().hex,
            on_progress=on_progress,
            regions=regions,
            approved=approved,
            deadline=deadline,
        )


def cleanup(settings: Settings, clients: AwsClients, options: RunOptions) -> RunResult:
    """Decide each certificate's fate and act on it; never raises for an AWS failure.

    Fails closed: if any lookup fails, or the search was narrowed, no certificate is deleted in this run.
    Each certificate is decided once per stage: on its metadata; then, if expired past its grace period,
    on its tags; then, if not exempt, on the usage search.
    """
    policy = Policy(
        grace_days=settings.grace_days,
        expiry_warning_days=settings.expiry_warning_days,
        dry_run=options.dry_run,
    )
    result = RunResult(
        run_id=options.run_id,
        account=options.account,
        account_label=settings.account_label,
        dry_run=options.dry_run,
        started_at=options.now,
    )
    iam = clients.client("iam")  # IAM is global: the home region's endpoint
    try:
        certificates = inventory.list_certificates(iam)
    except LookupFailed as exc:
        return _finish(result, [exc.failure])

    decisions = {cert.name: decide(cert, Evidence(), policy, options.now) for cert in certificates}
    # The search runs when a certificate could be deleted (known once its tags say it is not exempt), or
    # when one expires soon or is in its grace period: a reminder says where to replace it. An account
    # whose expired certificates are all exempt, and nothing else due, is never searched.
    reminders = any(decision.outcome in REMINDED for decision in decisions.values())
    need_tags = [cert for cert in certificates if decisions[cert.name].outcome is Pending.NEEDS_TAGS]
    failures: list[FailedLookup] = []
    gone: set[str] = set()
    materials: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=1) as background:
        search = _Once(
            lambda: search_account(
                clients, account=options.account, only_regions=options.regions, on_progress=options.on_progress
            ),
            background,
        )
        if reminders:
            search.start()

        # Tags only for expired candidates: IAM has no batch form, so this is one call each. When archiving,
        # GetServerCertificate returns the tags with the body and chain: one call reads both. The search
        # starts at the first tag read that shows a certificate not exempt, and overlaps the other reads.
        def on_tags(tags: dict[str, str]) -> None:
            if not inventory.is_exempt(tags, settings.exempt_tag_key):
                search.start()

        archiving = materials if settings.archive_bucket else None
        for cert, read in zip(need_tags, _read_tags(iam, need_tags, archiving, on_tags), strict=True):
            if isinstance(read, FailedLookup) and read.code == NO_SUCH_ENTITY:
                # Deleted by someone else since the listing: nothing left to decide, and no failed lookup.
                gone.add(cert.name)
                decisions[cert.name] = Decision(Action.ALREADY_GONE, ALREADY_GONE)
                continue
            if isinstance(read, FailedLookup):
                failures.append(read)
                evidence = Evidence(tags_failed=True)
            else:
                evidence = Evidence(exempt=inventory.is_exempt(read, settings.exempt_tag_key))
            decisions[cert.name] = decide(cert, evidence, policy, options.now)

        need_usage = [cert for cert in certificates if decisions[cert.name].outcome is Pending.NEEDS_USAGE]
        found = search.start().result() if need_usage or reminders else None
    if found is not None:
        failures.extend(found.failures)
        result.regions, result.regions_left_out, result.skipped = found.regions, found.left_out, found.skipped
        for item in found.skipped:
            logger.info("not searched", service=item.service, region=item.region, reason=item.reason)
        for cert in need_usage:  # fails closed: any failure of this run (tags too) leaves each one unproven
            usage = found.usage(cert)
            if failures:
                usage = Usage(complete=False, used_by=usage.used_by, left_out=usage.left_out)
            decisions[cert.name] = decide(cert, Evidence(exempt=False, usage=usage), policy, options.now)

    # Every decision is final before the first delete. Deletions run a few at a time, and only what a person
    # approved when one was asked.
    for cert in certificates:
        unapproved = options.approved is not None and cert.id not in options.approved
        if decisions[cert.name].outcome is Pending.DELETE and unapproved:
            reason = f"{decisions[cert.name].reason}; not deleted: not among the certificates you approved"
            decisions[cert.name] = Decision(Action.WOULD_DELETE, reason)
    to_delete = [cert for cert in certificates if decisions[cert.name].outcome is Pending.DELETE]
    deleted = dict(
        zip(
            (cert.name for cert in to_delete),
            _bounded_map(
                lambda cert: _delete(settings, clients, options, cert, decisions[cert.name], result.regions, materials),
                to_delete,
            ),
            strict=True,
        )
    )
    searched = _searched(found, failures)
    for cert in certificates:
        decision = decisions[cert.name]
        used_by = found.usage(cert).used_by if found is not None and cert.name not in gone else ()
        row = deleted.get(cert.name) or CertificateResult(cert, Action(decision.outcome), decision.reason, used_by)
        row.searched = searched
        result.certificates.append(row)
        logger.info("certificate decided", extra=_row_fields(row))
    _name_successors(clients, result, options, materials)
    return _finish(result, failures)


def _name_successors(
    clients: AwsClients, result: RunResult, options: RunOptions, materials: dict[str, dict[str, Any]]
) -> None:
    """Read-only and best effort, after the deletions: an expired certificate in use gets the name of what can
    replace it. A step on the invocation's budget (best_effort.py): whatever it raises (a malformed answer, a bug)
    or a hang is a warning, and the summary still goes out."""
    if not any(row.action is Action.IN_USE and row.used_by for row in result.certificates):
        return
    deadline = options.deadline or best_effort.Deadline.from_context(None, SUCCESSORS_SECONDS)
    later = clients.with_config(BEST_EFFORT_CONFIG)
    outcome = best_effort.run_step(
        "naming successors",
        lambda: succession.name_successors(later, result, options.now, materials),
        deadline,
        otherwise="no successor is named",
    )
    if outcome.value is not None:
        outcome.value.apply(result)
    if outcome.warning:
        result.warnings.append(outcome.warning)


# Certificates a person is reminded of: the reminder says which resources to replace them on.
REMINDED = frozenset({Action.EXPIRING_SOON, Action.GRACE_PERIOD})


def _searched(found: SearchOutcome | None, failures: list[FailedLookup]) -> Searched:
    if found is None:
        return Searched.NOT_SEARCHED
    return Searched.INCOMPLETE if failures or found.left_out else Searched.COMPLETE


def _row_fields(row: CertificateResult) -> dict[str, Any]:
    cert = row.certificate
    return {
        "certificate": cert.name,
        "certificate_arn": cert.arn,
        "action": row.action.value,
        "reason": row.reason,
        "used_by": list(row.used_by),
    }


class _Once(Generic[R]):
    """Runs ``work`` in ``pool`` the first time :meth:`start` is called, from any thread; never twice."""

    def __init__(self, work: Callable[[], R], pool: ThreadPoolExecutor) -> None:
        self._work = work
        self._pool = pool
        self._future: Future[R] | None = None
        self._lock = threading.Lock()

    def start(self) -> Future[R]:
        with self._lock:
            if self._future is None:
                self._future = self._pool.submit(self._work)
            return self._future


def _read_tags(
    iam: Any,
    certs: list[Certificate],
    materials: dict[str, dict[str, Any]] | None,
    on_tags: Callable[[dict[str, str]], None],
) -> list[dict[str, str] | FailedLookup]:
    """Each certificate's tags, each passed to ``on_tags`` as soon as it is read; with ``materials``
    (archiving), also its body and chain, kept there by name."""

    def read(cert: Certificate) -> dict[str, str] | FailedLookup:
        try:
            if materials is None:
                tags = inventory.list_tags(iam, cert.name)
            else:
                material = inventory.get_material(iam, cert.name)
                materials[cert.name] = material  # one key per thread
                tags = material["tags"]
        except LookupFailed as exc:
            return exc.failure
        on_tags(tags)
        return tags

    return _bounded_map(read, certs)


def _bounded_map(fn: Callable[[T], R], items: list[T]) -> list[R]:
    """``fn`` over ``items`` in order, with at most ``MAX_IN_FLIGHT`` calls at once (IAM is one region)."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_IN_FLIGHT, len(items))) as pool:
        return list(pool.map(fn, items))


def _delete(
    settings: Settings,
    clients: AwsClients,
    options: RunOptions,
    cert: Certificate,
    decision: Decision,
    regions: list[str],
    materials: dict[str, dict[str, Any]],
) -> CertificateResult:
    """Check the name still holds the certificate that was listed, archive it (when configured: ``materials``
    holds what was read with the tags), then delete it. A failed check or archive means no delete.

    IAM deletes by name, and a name can be given to another certificate while the run searches (deleted and
    uploaded again): an upload gets a new ServerCertificateId, so an unchanged id proves the same certificate.
    """
    iam = clients.client("iam")  # IAM is global: the home region's endpoint
    try:
        now_holds = inventory.current_id(iam, cert.name)
    except LookupFailed as exc:
        failure = exc.failure
        if failure.code == NO_SUCH_ENTITY:  # someone else deleted it since the listing: not this run's deletion
            return CertificateResult(cert, Action.ALREADY_GONE, ALREADY_GONE)
        reason = f"not deleted: could not check it is still the certificate listed ({failure.code}: {failure.message})"
        return CertificateResult(cert, Action.FAILED, reason)
    if now_holds != cert.id:
        reason = (
            f"not deleted: the name now holds another certificate ({now_holds}, listed as {cert.id}): it was replaced "
            "during the run; the next run decides about the new one"
        )
        return CertificateResult(cert, Action.USAGE_UNKNOWN, reason)
    archived_to = None
    if settings.archive_bucket:
        key = archive.object_key(options.account, cert, options.run_id)
        try:
            evidence = {
                "decision": decision.reason,
                "used_by": [],
                "lookups_complete": True,
                "regions_searched": regions,
                "services_searched": [consumer.SERVICE for consumer in CONSUMERS],
            }
            archived_to = archive.archive_certificate(
                clients.client("s3"),  # the archive bucket is in the home region
                bucket=settings.archive_bucket,
                key=key,
                account=options.account,
                run_id=options.run_id,
                cert=cert,
                material=materials[cert.name],
                evidence=evidence,
                now=options.now,
            )
        except AWS_ERRORS as exc:
            return CertificateResult(
                cert, Action.FAILED, f"not deleted: archive failed ({error_code(exc)}: {error_message(exc)})"
            )
    try:
        inventory.delete_certificate(iam, cert.name)
    except ClientError as exc:
        code = error_code(exc)
        if code == "DeleteConflict":
            users = tuple(dict.fromkeys(arn.rstrip(".") for arn in ARN_PATTERN.findall(error_message(exc))))
            reason = f"{DELETE_REFUSED}: {error_message(exc)}"
            return CertificateResult(
                cert, Action.IN_USE, reason, users, archived_to, delete_answer=DeleteAnswer.REFUSED_IN_USE
            )
        if code == NO_SUCH_ENTITY and _retried(exc):
            # The first attempt deleted it and its answer was lost: the retry's NoSuchEntity is this run's own work.
            reason = f"{decision.reason}; {GONE_ON_RETRY}"
            return CertificateResult(
                cert, Action.DELETED, reason, (), archived_to, delete_answer=DeleteAnswer.GONE_ON_RETRY
            )
        if code == NO_SUCH_ENTITY:
            return CertificateResult(cert, Action.ALREADY_GONE, ALREADY_GONE, (), archived_to)
        return CertificateResult(cert, Action.FAILED, f"delete failed ({code}: {error_message(exc)})", (), archived_to)
    except TRANSPORT_ERRORS as exc:
        return CertificateResult(cert, Action.FAILED, f"delete failed ({error_code(exc)}: {exc})", (), archived_to)
    return CertificateResult(cert, Action.DELETED, decision.reason, (), archived_to)


NO_SUCH_ENTITY = "NoSuchEntity"


def _retried(exc: ClientError) -> bool:
    """Whether botocore sent the call more than once before this answer (its ResponseMetadata.RetryAttempts)."""
    metadata: Mapping[str, Any] = exc.response.get("ResponseMetadata") or {}
    return bool(metadata.get("RetryAttempts"))


def _finish(result: RunResult, failures: list[FailedLookup]) -> RunResult:
    for failure in failures:
        result.errors.append(failure)
        logger.error("lookup failed", extra=log_fields(failure.as_dict()))
    for action, count in result.counts().items():
        metrics.add_metric(name=names.METRIC_CERTIFICATES.format(action=action), unit="Count", value=count)
    metrics.add_metric(name=names.METRIC_FAILED_LOOKUPS, unit="Count", value=len(failures))
    result.finished_at = datetime.now(UTC)
    return result


def log_fields(entry: dict[str, str]) -> dict[str, str]:
    """``message`` is reserved by logging: log AWS's message as ``error_message``."""
    return {("error_message" if key == "message" else key): value for key, value in entry.items()}
