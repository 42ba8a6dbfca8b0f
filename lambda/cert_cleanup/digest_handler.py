"""The organization digest's Lambda entry point: read the queue, write the report, email once, then delete.

Nothing is lost when a step fails: messages are deleted from the queue only after the report is
written and the email published. On a failure they are released at once (visibility 0) and the
invocation fails, so the next digest includes them; the failure alarm tells people.
"""

from __future__ import annotations

import functools
import os
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cert_cleanup.aws.clients import AWS_ERRORS, AwsClients
from cert_cleanup.config import names
from cert_cleanup.config.observability import logger
from cert_cleanup.config.settings import BUCKET_PATTERN, TOPIC_ARN_PATTERN, describe_errors
from cert_cleanup.errors import ConfigError
from cert_cleanup.notify.publish import topic_region
from cert_cleanup.org import digest

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

QUEUE_URL_PATTERN = r"^https?://[^/\s]+/\d{12}/[A-Za-z0-9_-]{1,80}$"
MAX_MESSAGES = 10_000
BATCH = 10
# Longer than the digest function's timeout: a message a running digest holds is not read twice.
VISIBILITY_SECONDS = 20 * 60


class DigestSettings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", regex_engine="python-re")

    queue_url: str = Field(alias=names.ENV_DIGEST_QUEUE_URL, pattern=QUEUE_URL_PATTERN)
    report_bucket: str = Field(alias=names.ENV_REPORT_BUCKET, pattern=BUCKET_PATTERN.pattern)
    sns_topic_arn: str = Field(alias=names.ENV_SNS_TOPIC_ARN, pattern=TOPIC_ARN_PATTERN.pattern)

    @classmethod
    def from_env(cls, environ: dict[str, str] | os._Environ[str]) -> DigestSettings:
        try:
            return cls.model_validate(dict(environ))
        except ValidationError as exc:
            labels = {name: field.alias or name for name, field in cls.model_fields.items()}
            raise ConfigError(
                "invalid configuration: " + "; ".join(describe_errors(exc, lambda f: labels.get(f, f)))
            ) from exc


@functools.cache
def _settings() -> DigestSettings:
    return DigestSettings.from_env(os.environ)


@functools.cache
def _clients() -> AwsClients:
    return AwsClients()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run(_settings(), _clients())


def run(settings: DigestSettings, clients: AwsClients, *, now: datetime | None = None) -> dict[str, Any]:
    """One digest. Raises (after releasing what it read) if the report or the email cannot be made."""
    now = now or datetime.now(UTC)
    sqs = clients.client("sqs")  # the queue, the bucket and the digest function share the stack's region
    messages = receive_all(sqs, settings.queue_url)
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
        for suffix, body, content_type in (
            ("json", digest.report_json(summary), "application/json"),
            ("csv", digest.report_csv(summary), "text/csv"),
        ):
            s3.put_object(
                Bucket=settings.report_bucket,
                Key=f"{key}.{suffix}",
                Body=body.encode(),
                ContentType=content_type,
                IfNoneMatch="*",
            )
        links = [f"s3://{settings.report_bucket}/{key}.{suffix}" for suffix in ("csv", "json")]
        sns = clients.client("sns", topic_region(settings.sns_topic_arn))
        sns.publish(
            TopicArn=settings.sns_topic_arn,
            Subject=digest.subject(summary),
            Message=digest.email_text(summary, report_links=links),
            MessageAttributes={
                names.AUDIENCE_ATTRIBUTE: {"DataType": "String", "StringValue": names.AUDIENCE_PEOPLE},
                names.KIND_ATTRIBUTE: {"DataType": "String", "StringValue": names.KIND_DIGEST},
            },
        )
    except Exception:
        release(sqs, settings.queue_url, messages)
        raise
    delete(sqs, settings.queue_url, messages)
    outcome = {
        "accounts": len(summary.accounts),
        "needing_action": len(summary.needing_action()),
        "messages": len(messages),
        "rejected": rejected,
        "report": links,
    }
    logger.info("digest sent", extra=outcome)
    return outcome


def receive_all(sqs: SQSClient, queue_url: str) -> list[dict[str, Any]]:
    """Every message queued now (up to MAX_MESSAGES), each hidden from other readers while this digest runs."""
    messages: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(messages) < MAX_MESSAGES:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=1, VisibilityTimeout=VISIBILITY_SECONDS
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            if message["MessageId"] not in seen:
                seen.add(message["MessageId"])
                messages.append(dict(message))
    return messages


def _batches(messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [messages[start : start + BATCH] for start in range(0, len(messages), BATCH)]


def delete(sqs: SQSClient, queue_url: str, messages: list[dict[str, Any]]) -> None:
    for batch in _batches(messages):
        entries: list[Any] = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        failed = sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed", [])
        if failed:  # they come back in the next digest: counted twice there, never lost
            logger.warning("messages not deleted", count=len(failed))


def release(sqs: SQSClient, queue_url: str, messages: list[dict[str, Any]]) -> None:
    """Make what this digest read visible again now (best effort: else it returns after the visibility timeout)."""
    for batch in _batches(messages):
        entries: list[Any] = [
            {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for index, m in enumerate(batch)
        ]
        try:
            sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
        except AWS_ERRORS:
            logger.warning("messages not released; they return after the visibility timeout", count=len(batch))
