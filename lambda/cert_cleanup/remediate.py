"""One run: inventory, decide, prove unused, archive, delete. Clients injected, time injected."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError

from cert_cleanup import archive, inventory, report
from cert_cleanup.aws import AWS_ERRORS, MAX_IN_FLIGHT, TRANSPORT_ERRORS, AwsClients, error_code, error_message
from cert_cleanup.decide import decide
from cert_cleanup.errors import LookupFailed
from cert_cleanup.models import (
    DELETE_REFUSED,
    Action,
    Certificate,
    CertificateResult,
    Decision,
    Evidence,
    FailedLookup,
    Pending,
    Policy,
    RunResult,
    Usage,
)
from cert_cleanup.observability import logger, metrics
from cert_cleanup.settings import Settings
from cert_cleanup.usage import CONSUMERS, ProgressCallback, UsageIndex, enabled_regions, search_usage

T = TypeVar("T")
R = TypeVar("R")
ALREADY_DELETED = "already deleted (NoSuchEntity)"
ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:[^\s,;\"']+")


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What one run needs beyond the settings."""

    account: str
    dry_run: bool
    now: datetime
    run_id: str
    on_progress: ProgressCallback | None = None

    @classmethod
    def create(
        cls,
        account: str,
        *,
        dry_run: bool,
        now: datetime | None = None,
        run_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RunOptions:
        return cls(
            account=account,
            dry_run=dry_run,
            now=now or datetime.now(UTC),
            run_id=run_id or uuid.uuid4().hex,
            on_progress=on_progress,
        )


def run(settings: Settings, clients: AwsClients, options: RunOptions) -> RunResult:
    """Decide each certificate's fate and act on it; never raises for an AWS failure.

    Fails closed: if any lookup fails, no certificate is deleted in this run.
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
    failures: list[FailedLookup] = []

    try:
        certificates = inventory.list_certificates(iam)
    except LookupFailed as exc:
        failures.append(_failed(exc))
        return _finish(result, failures)

    decisions = {cert.name: decide(cert, Evidence(), policy, options.now) for cert in certificates}
    evidence: dict[str, Evidence] = {}

    # Tags only for expired candidates: IAM has no batch form, so this is one call each. When archiving,
    # GetServerCertificate returns the tags with the body and chain: one call reads both.
    # The usage search starts in the background as soon as one tag read shows a certificate that could
    # be deleted, so the two overlap; an account whose expired certificates are all exempt is never searched.
    materials: dict[str, dict[str, Any]] = {}
    need_tags = [cert for cert in certificates if decisions[cert.name].outcome is Pending.NEEDS_TAGS]
    search_failures: list[FailedLookup] = []
    with ThreadPoolExecutor(max_workers=1) as background:
        search = _Once(lambda: _search(settings, clients, options, result, search_failures), background)

        def on_tags(cert: Certificate, tags: dict[str, str]) -> None:
            exempt = inventory.is_exempt(tags, settings.exempt_tag_key)
            if decide(cert, Evidence(exempt=exempt), policy, options.now).outcome is Pending.NEEDS_USAGE:
                search.start()

        read_tags = _read_tags(iam, need_tags, materials if settings.archive_bucket else None, on_tags)
        for cert, tags_or_failure in zip(need_tags, read_tags, strict=True):
            if isinstance(tags_or_failure, FailedLookup):
                failures.append(tags_or_failure)
                evidence[cert.name] = Evidence(tags_failed=True)
            else:
                evidence[cert.name] = Evidence(exempt=inventory.is_exempt(tags_or_failure, settings.exempt_tag_key))
            decisions[cert.name] = decide(cert, evidence[cert.name], policy, options.now)

        # Usage is searched only when at least one certificate could be deleted.
        need_usage = [cert for cert in certificates if decisions[cert.name].outcome is Pending.NEEDS_USAGE]
        if need_usage:
            index = search.start().result()
            failures.extend(search_failures)
            complete = not failures
            for cert in need_usage:
                found = index.usage(cert) if index else Usage(complete=False)
                evidence[cert.name] = Evidence(
                    exempt=False, usage=Usage(complete=complete and found.complete, used_by=found.used_by)
                )
                decisions[cert.name] = decide(cert, evidence[cert.name], policy, options.now)

    # Every decision is final before the first delete. Deletions run a few at a time.
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
    for cert in certificates:
        decision = decisions[cert.name]
        usage = evidence.get(cert.name, Evidence()).usage
        row = deleted.get(cert.name) or CertificateResult(
            cert, Action(decision.outcome), decision.reason, usage.used_by if usage else ()
        )
        result.certificates.append(row)
        logger.info("certificate decided", extra=_row_fields(row))
    return _finish(result, failures)


def _row_fields(row: CertificateResult) -> dict[str, Any]:
    cert = row.certificate
    return {
        "certificate": cert.name,
        "certificate_arn": cert.arn,
        "action": row.action.value,
        "reason": row.reason,
        "used_by": list(row.used_by),
    }


def _search(
    settings: Settings,
    clients: AwsClients,
    options: RunOptions,
    result: RunResult,
    failures: list[FailedLookup],
) -> UsageIndex | None:
    try:
        regions = list(settings.regions) if settings.regions else enabled_regions(clients)
    except LookupFailed as exc:
        failures.append(_failed(exc))
        return None
    if not regions:  # nothing searched proves nothing
        region = clients.home_region
        failures.append(FailedLookup("ec2", region, "DescribeRegions", "NoRegions", "no enabled region was listed"))
        return None
    partition = clients.partition
    partitions = {region: clients.partition_of(region) for region in regions}
    outside = {region: other for region, other in partitions.items() if partition and other not in {None, partition}}
    if outside:  # no call of a run crosses into another partition: this run cannot prove anything there
        failures.extend(
            FailedLookup(
                "cert-cleanup",
                region,
                "REGIONS",
                "RegionOutsidePartition",
                f"{region} is in partition {other}, not {partition} where this function runs",
            )
            for region, other in outside.items()
        )
        return None
    result.regions = regions
    search = search_usage(clients, account=options.account, regions=regions, on_progress=options.on_progress)
    failures.extend(search.failures)
    result.skipped = search.skipped
    for item in search.skipped:
        logger.info("not searched", service=item.service, region=item.region, reason=item.reason)
    return UsageIndex(search)


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
    on_tags: Callable[[Certificate, dict[str, str]], None],
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
            return _failed(exc)
        on_tags(cert, tags)
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
    """Archive (when configured: ``materials`` holds what was read with the tags), then delete.
    A failed archive means no delete."""
    iam = clients.client("iam")  # IAM is global: the home region's endpoint
    archived_to = None
    if settings.archive_bucket:
        key = archive.object_key(settings.archive_prefix, options.account, cert, options.run_id)
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
            return CertificateResult(cert, Action.IN_USE, f"{DELETE_REFUSED}: {error_message(exc)}", users, archived_to)
        if code == "NoSuchEntity":
            return CertificateResult(cert, Action.DELETED, ALREADY_DELETED, (), archived_to)
        return CertificateResult(cert, Action.FAILED, f"delete failed ({code}: {error_message(exc)})", (), archived_to)
    except TRANSPORT_ERRORS as exc:
        return CertificateResult(cert, Action.FAILED, f"delete failed ({error_code(exc)}: {exc})", (), archived_to)
    return CertificateResult(cert, Action.DELETED, decision.reason, (), archived_to)


def _failed(exc: LookupFailed) -> FailedLookup:
    return FailedLookup(exc.service, exc.region, exc.operation, exc.code, exc.message)


def _finish(result: RunResult, failures: list[FailedLookup]) -> RunResult:
    for failure in failures:
        entry = failure.as_dict()
        hint = report.hint_for(failure.code, failure.message)
        if hint:
            entry["hint"] = hint
        result.errors.append(entry)
        logger.error("lookup failed", extra=log_fields(entry))
    for action, count in result.counts().items():
        metrics.add_metric(name=f"Certificates_{action}", unit="Count", value=count)
    metrics.add_metric(name="FailedLookups", unit="Count", value=len(failures))
    result.finished_at = datetime.now(UTC)
    return result


def log_fields(entry: dict[str, str]) -> dict[str, str]:
    """``message`` is reserved by logging: log AWS's message as ``error_message``."""
    return {("error_message" if key == "message" else key): value for key, value in entry.items()}
