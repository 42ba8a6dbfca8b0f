"""One digest: read the queue, write the report, email once, then delete what was read.

Nothing is lost when a step fails: messages are deleted from the queue only after the report is written and
the email published. On a failure they are released at once (visibility 0) and the invocation fails, so the
next digest includes them; the failure alarm tells people.

Every queued result is read, however many there are, unless the invocation would run out of time: then the
digest stops reading early enough to finish, and its email says how many results stay queued for the next.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from cert_cleanup.aws.clients import AwsClients
from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.config import names
from cert_cleanup.config.observability import logger, metrics
from cert_cleanup.config.settings import DigestSettings
from cert_cleanup.notify import publish
from cert_cleanup.notify.publish import publish_digest, topic_region
from cert_cleanup.org import digest, queue

# Every permission a digest's calls need, as each module declares them.
PERMISSIONS = (*queue.PERMISSIONS, Permission("s3:PutObject", On.REPORTS), *publish.PERMISSIONS)
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
    collector = digest.Collector()
    handles: list[str] = []

    def fold(message: dict[str, Any]) -> None:
        handles.append(message["ReceiptHandle"])
        rejected = collector.add(message["Body"])
        if rejected:
            logger.warning("queued message is not a run result", message_id=message["MessageId"], error=rejected)

    def in_time() -> bool:
        return seconds_left is None or seconds_left() > FINISH_SECONDS

    try:
        finished = queue.receive_all(sqs, settings.queue_url, fold, keep_reading=in_time)
        left = 0 if finished else queue.approximate_depth(sqs, settings.queue_url)
        summary = collector.digest(now, left_queued=left)
        key = f"{names.REPORT_PREFIX}{now:%Y/%m/%d}/{now:%H%M%S}-{uuid.uuid4().hex[:8]}"
        s3 = clients.client("s3")
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
    queue.delete(sqs, settings.queue_url, handles)
    outcome = {
        "accounts": len(summary.accounts),
        "needing_a_person": len(summary.needing_a_person()),
        "messages": len(handles),
        "rejected": summary.rejected,
        "left_queued": left,
        "report": links,
        "report_bytes": sizes,
        "email_bytes": len(text.encode()),
    }
    figures = (len(summary.accounts), len(summary.needing_a_person()), summary.incidents(), left)
    for name, value in zip(names.DIGEST_METRICS, figures, strict=True):
        metrics.add_metric(name=name, unit="Count", value=value)
    logger.info("digest sent", extra=outcome)
    return outcome


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
