"""One digest: read the queue, write the report, email once, then delete what was read.

Nothing is lost when a step fails: messages are deleted from the queue only after the report is
written and the email published. On a failure they are released at once (visibility 0) and the
invocation fails, so the next digest includes them; the failure alarm tells people.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from cert_cleanup.aws.clients import AwsClients
from cert_cleanup.config.observability import logger
from cert_cleanup.config.settings import DigestSettings
from cert_cleanup.notify.publish import publish_digest, topic_region
from cert_cleanup.org import digest, queue

REPORTS = (("json", "application/json", digest.report_json), ("csv", "text/csv", digest.report_csv))


def send(settings: DigestSettings, clients: AwsClients, *, now: datetime | None = None) -> dict[str, Any]:
    """One digest. Raises (after releasing what it read) if the report or the email cannot be made."""
    now = now or datetime.now(UTC)
    sqs = clients.client("sqs")  # the queue, the bucket and the digest function share the stack's region
    messages = queue.receive_all(sqs, settings.queue_url)
    try:
        documents, rejected = [], 0
        for message in messages:
            try:
                documents.append(digest.parse_result(message["Body"]))
            except digest.NotAResult as exc:
                rejected += 1
                logger.warning("queued message is not a run result", message_id=message["MessageId"], error=str(exc))
        summary = digest.build(documents, rejected=rejected, now=now)
        key = f"digests/{now:%Y/%m/%d}/{now:%H%M%S}-{uuid.uuid4().hex[:8]}"
        s3 = clients.client("s3")
        for suffix, content_type, render in REPORTS:
            s3.put_object(
                Bucket=settings.report_bucket,
                Key=f"{key}.{suffix}",
                Body=render(summary).encode(),
                ContentType=content_type,
                IfNoneMatch="*",
            )
        links = [f"s3://{settings.report_bucket}/{key}.{suffix}" for suffix in ("csv", "json")]
        publish_digest(
            clients.client("sns", topic_region(settings.sns_topic_arn)),
            settings.sns_topic_arn,
            digest.subject(summary),
            digest.email_text(summary, report_links=links),
        )
    except Exception:
        queue.release(sqs, settings.queue_url, messages)
        raise
    queue.delete(sqs, settings.queue_url, messages)
    outcome = {
        "accounts": len(summary.accounts),
        "needing_action": len(summary.needing_action()),
        "messages": len(messages),
        "rejected": rejected,
        "report": links,
    }
    logger.info("digest sent", extra=outcome)
    return outcome
