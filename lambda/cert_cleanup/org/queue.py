"""SQS: the members' run results queued for the digest. Read all of them, hidden from other readers while the
digest runs; delete them once the digest is sent, or release them at once if it failed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cert_cleanup.aws.clients import AWS_ERRORS
from cert_cleanup.config.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_MESSAGES = 10_000
BATCH = 10
# Longer than the digest function's timeout: a message a running digest holds is not read twice.
VISIBILITY_SECONDS = 20 * 60


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
