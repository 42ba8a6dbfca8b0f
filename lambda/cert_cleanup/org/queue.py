"""SQS: the members' run results queued for the digest. Read all of them, each hidden from other readers while
the digest runs; delete them once the digest is sent, or release them at once if it failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cert_cleanup.aws.clients import AWS_ERRORS
from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.config import names
from cert_cleanup.config.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

PERMISSIONS = tuple(
    Permission(f"sqs:{action}", On.DIGEST_QUEUE)
    for action in ("ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes")
)
BATCH = 10  # ReceiveMessage's and the batch calls' maximum
VISIBILITY_SECONDS = names.DIGEST_QUEUE_VISIBILITY_MINUTES * 60


def receive_all(
    sqs: SQSClient, queue_url: str, fold: Callable[[dict[str, Any]], None], *, keep_reading: Callable[[], bool]
) -> bool:
    """Hand every message queued now to ``fold``, a batch at a time, while ``keep_reading()``.

    True when the queue was read to its end; False when reading stopped with messages perhaps left. A message
    SQS delivers twice (standard queues may) is folded once.
    """
    seen: set[str] = set()
    while keep_reading():
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=1, VisibilityTimeout=VISIBILITY_SECONDS
        ).get("Messages", [])
        if not batch:
            return True
        for message in batch:
            if message["MessageId"] not in seen:
                seen.add(message["MessageId"])
                fold(dict(message))
    return False


def approximate_depth(sqs: SQSClient, queue_url: str) -> int:
    """About how many messages wait in the queue (SQS's own approximation); 0 if it cannot be read."""
    try:
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])
    except AWS_ERRORS:
        logger.warning("queue depth not read")
        return 0


def _batches(handles: list[str]) -> list[list[str]]:
    return [handles[start : start + BATCH] for start in range(0, len(handles), BATCH)]


def delete(sqs: SQSClient, queue_url: str, handles: list[str]) -> None:
    for batch in _batches(handles):
        entries: list[Any] = [{"Id": str(index), "ReceiptHandle": handle} for index, handle in enumerate(batch)]
        failed = sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed", [])
        if failed:  # they come back in the next digest: counted twice there, never lost
            logger.warning("messages not deleted", count=len(failed))


def release(sqs: SQSClient, queue_url: str, handles: list[str]) -> None:
    """Make what this digest read visible again now (best effort: else it returns after the visibility timeout)."""
    for batch in _batches(handles):
        entries: list[Any] = [
            {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0} for index, handle in enumerate(batch)
        ]
        try:
            sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
        except AWS_ERRORS:
            logger.warning("messages not released; they return after the visibility timeout", count=len(batch))
