"""One digest: read the queue, write the report, email once, then delete what was read.

Nothing is lost when a step fails: messages are deleted from the queue only after the report is written and
the email published. On a failure they are released at once (visibility 0) and the invocation fails, so the
next digest includes them; the failure alarm tells people.

Every queued result is read, however many there are, unless the invocation would run out of time: then the
digest stops reading early enough to finish, and its email says how many results stay queued for the next.

Between digests it keeps one state object (``names.DIGEST_STATE_KEY``): each account's latest believed run, and
since when the targeted OUs list it. Listing the OUs' accounts is best effort: when Organizations refuses, the
accounts that reported before are still checked, and the email says what could not be done.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from botocore.exceptions import ClientError

from cert_cleanup.aws.clients import AWS_ERRORS, AwsClients, error_code, error_message
from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.config import names
from cert_cleanup.config.observability import logger, metrics
from cert_cleanup.config.settings import DigestSettings
from cert_cleanup.notify import publish
from cert_cleanup.notify.publish import publish_digest, topic_region
from cert_cleanup.org import accounts, digest, queue
from cert_cleanup.org.state import State, StateUnreadable

STATE_PERMISSIONS = (
    Permission("s3:GetObject", On.DIGEST_STATE),
    Permission("s3:PutObject", On.DIGEST_STATE),
    # S3 answers a GetObject of a missing key with 404 only to a caller that may list the bucket, else 403 (S3 API
    # Reference, GetObject): the first digest must tell "no state yet" from "refused".
    Permission("s3:ListBucket", On.REPORT_BUCKET),
)
# Every permission a digest's calls need, as each module declares them.
PERMISSIONS = (
    *queue.PERMISSIONS,
    Permission("s3:PutObject", On.REPORTS),
    *publish.PERMISSIONS,
    *STATE_PERMISSIONS,
    *accounts.PERMISSIONS,
)
REPORTS = (("json", "application/json", digest.write_json), ("csv", "text/csv", digest.write_csv))
# Time kept for writing the report, emailing and deleting after the last read (measured: make bench).
FINISH_SECONDS = 180.0
# Reports larger than this are spooled to /tmp instead of memory.
SPOOL_BYTES = 16 * 1024 * 1024


@functools.cache
def lambda_settings() -> DigestSettings:
    """Read and validate the environment once per execution environment."""
    return DigestSettings.from_env(os.environ)


@functools.cache
def default_clients() -> AwsClients:
    return AwsClients()


def handle(context: Any) -> dict[str, Any]:
    """One Lambda invocation: the digest with the function's settings, within the invocation's time."""
    return send(lambda_settings(), default_clients(), seconds_left=remaining(context))


def send(
    settings: DigestSettings,
    clients: AwsClients,
    *,
    now: datetime | None = None,
    seconds_left: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """One digest. Raises (after releasing what it read) if the report or the email cannot be made.

    ``seconds_left``: how long the invocation has left (Lambda's context); reading stops FINISH_SECONDS before.
    """
    now = now or datetime.now(UTC)
    sqs = clients.client("sqs")  # the queue, the bucket and the digest function share the stack's region
    s3 = clients.client("s3")
    handles: list[str] = []

    def in_time() -> bool:
        return seconds_left is None or seconds_left() > FINISH_SECONDS

    warnings: list[str] = []
    state, keep_state = read_state(s3, settings.report_bucket, warnings)
    listed = list_accounts(clients, settings, warnings, keep_going=in_time)
    collector = digest.Collector(now, state)

    def fold(message: dict[str, Any]) -> None:
        handles.append(message["ReceiptHandle"])
        rejected = collector.add(message["Body"])
        if rejected:
            logger.warning("queued message is not a run result", message_id=message["MessageId"], error=rejected)

    try:
        finished = queue.receive_all(sqs, settings.queue_url, fold, keep_reading=in_time)
        left = 0 if finished else queue.approximate_depth(sqs, settings.queue_url)
        silent = state.silent(now, timedelta(minutes=settings.run_interval_minutes), listed)
        summary = collector.digest(now, left_queued=left, silent=silent, warnings=warnings)
        for refusal in summary.refused:
            logger.warning("result not believed", extra=refusal.as_dict())
        key = f"{names.REPORT_PREFIX}{now:%Y/%m/%d}/{now:%H%M%S}-{uuid.uuid4().hex[:8]}"
        sizes = {}
        for suffix, content_type, write in REPORTS:
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as spool:
                sizes[suffix] = _write(spool, write, summary)
                s3.put_object(
                    Bucket=settings.report_bucket,
                    Key=f"{key}.{suffix}",
                    Body=spool,
                    ContentType=content_type,
                    IfNoneMatch="*",
                )
        links = [f"s3://{settings.report_bucket}/{key}.{suffix}" for suffix in ("csv", "json")]
        text = digest.email_text(summary, report_links=links)
        publish_digest(
            clients.client("sns", topic_region(settings.sns_topic_arn)),
            settings.sns_topic_arn,
            digest.subject(summary),
            text,
        )
    except Exception:
        queue.release(sqs, settings.queue_url, handles)
        raise
    if keep_state:
        write_state(s3, settings.report_bucket, state)
    queue.delete(sqs, settings.queue_url, handles)
    outcome = {
        "accounts": len(summary.accounts),
        "needing_a_person": len(summary.needing_a_person()),
        "messages": len(handles),
        "rejected": summary.rejected,
        "not_believed": len(summary.refused),
        "duplicates": summary.duplicates,
        "not_reporting": [silent.account for silent in summary.silent],
        "warnings": summary.warnings,
        "left_queued": left,
        "report": links,
        "report_bytes": sizes,
        "email_bytes": len(text.encode()),
    }
    figures = (len(summary.accounts), len(summary.needing_a_person()), summary.incidents(), left, len(summary.refused))
    for name, value in zip(names.DIGEST_METRICS, figures, strict=True):
        metrics.add_metric(name=name, unit="Count", value=value)
    logger.info("digest sent", extra=outcome)
    return outcome


def read_state(s3: Any, bucket: str, warnings: list[str]) -> tuple[State, bool]:
    """The state earlier digests left, and whether this digest may replace it.

    No object yet: nothing held. An object this code cannot read: a warning, and a fresh state replaces it. A
    refused or failed read: a warning, and the object is left as it is (the next digest may read it).
    """
    try:
        data = s3.get_object(Bucket=bucket, Key=names.DIGEST_STATE_KEY)["Body"].read()
    except ClientError as exc:
        if error_code(exc) in {"NoSuchKey", "404"}:
            return State(), True
        warnings.append(
            f"the digest's state (s3://{bucket}/{names.DIGEST_STATE_KEY}) could not be read ({error_code(exc)}: "
            f"{error_message(exc)}): results older than the ones held before are not recognised, and accounts "
            "silent since an earlier digest are not listed"
        )
        return State(), False
    except AWS_ERRORS as exc:
        warnings.append(
            f"the digest's state could not be read ({error_code(exc)}): results older than the ones held before are "
            "not recognised, and accounts silent since an earlier digest are not listed"
        )
        return State(), False
    try:
        return State.load(data), True
    except StateUnreadable as exc:
        warnings.append(f"the digest's state was unreadable and is started again: {exc}")
        return State(), True


def write_state(s3: Any, bucket: str, state: State) -> None:
    """Replace the state (after the email: a failure here loses no result, only what the next digest holds)."""
    try:
        s3.put_object(Bucket=bucket, Key=names.DIGEST_STATE_KEY, Body=state.dump(), ContentType="application/json")
    except AWS_ERRORS as exc:
        logger.error("digest state not written", code=error_code(exc), error=error_message(exc))


def list_accounts(
    clients: AwsClients, settings: DigestSettings, warnings: list[str], *, keep_going: Callable[[], bool]
) -> set[str] | None:
    """The targeted OUs' active accounts; None when not configured or not listed (best effort: a warning)."""
    if not settings.organizational_unit_ids:
        return None
    try:
        return accounts.expected_accounts(
            clients.client("organizations"),  # a global service: botocore signs for its one endpoint
            settings.organizational_unit_ids,
            keep_going=keep_going,
        )
    except (*AWS_ERRORS, accounts.ListingIncomplete) as exc:  # type: ignore[misc]  # AWS_ERRORS is a tuple of types
        reason = str(exc) if isinstance(exc, accounts.ListingIncomplete) else f"{error_code(exc)}: {error_message(exc)}"
        warnings.append(
            f"the targeted OUs' accounts could not be listed ({reason}): an account that never reported is not "
            "listed as not reporting (the digest's role needs organizations:ListAccountsForParent, ListChildren and "
            "DescribeOrganization, answered in the management account or a delegated administrator)"
        )
        logger.warning("organization accounts not listed", error=reason)
        return None


def _write(spool: IO[bytes], write: Callable[[digest.Digest, Any], None], summary: digest.Digest) -> int:
    """Write one report into ``spool`` as UTF-8 and rewind it; return its size."""
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    write(summary, text)
    text.flush()
    text.detach()  # the spool stays open for the upload
    size = spool.tell()
    spool.seek(0)
    return size


def remaining(context: Any) -> Callable[[], float] | None:
    """Seconds the Lambda invocation has left, from its context (None outside Lambda)."""
    millis = getattr(context, "get_remaining_time_in_millis", None)
    if millis is None:
        return None
    return lambda: float(millis()) / 1000
