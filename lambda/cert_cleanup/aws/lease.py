"""The run lease: at most one run acts on an account at a time, whatever started it (DynamoDB).

Why a lease: a schedule, Security Hub findings (one per certificate, in two formats), the custom action, a manual
invoke and the command line can all start a run at once, and Lambda has no per-function lock (reserved concurrency
is refused in accounts whose concurrency quota is low). A lease is one item in a small table of the stack's,
taken with a conditional write: the first run takes it; the others see who holds it and stop at once, successfully
(no failed invocation, no alarm). An event that arrives while a run holds the lease, and that the run may not
have seen (it happened after the run took the lease), is recorded on the item as a request; when the holder
releases the lease it reads the requests and runs once more. An event that happened before the latest run took
the lease is already covered by that run. So a burst of N finding events causes at most one more run.

The lease expires (the invocation's remaining time plus a margin): a run that crashed or timed out does not hold
it for ever. The item also keeps what a scheduled run must remember across runs: the deployment whose first run
was already told to people.

One item, key ``{"pk": "run"}``; every write is conditional, so two runs never both believe they hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from cert_cleanup.aws.permissions import On, Permission

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SERVICE = "dynamodb"
PERMISSIONS = (
    Permission("dynamodb:GetItem", On.LEASE_TABLE),
    Permission("dynamodb:UpdateItem", On.LEASE_TABLE),
)
KEY = {"pk": {"S": "run"}}
CONDITION_FAILED = "ConditionalCheckFailedException"
# The triggers whose events are recorded when the lease is held: each asks for one more run. "by-hand" is not:
# the person who invoked is answered at once that a run is in progress.
REQUESTS = {"schedule": "req_schedule", "finding": "req_finding", "custom-action": "req_custom_action"}


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds the lease: a run, what started it, since when, until when."""

    run_id: str
    trigger: str
    since: datetime
    until: datetime

    def describe(self) -> str:
        return (
            f"run {self.run_id} (started by {self.trigger} at {self.since:%Y-%m-%d %H:%M:%S} UTC; "
            f"its lease ends by {self.until:%H:%M:%S} UTC at the latest)"
        )


@dataclass(frozen=True, slots=True)
class State:
    """The item as read: the holder (None when free or expired), the latest run's start, the deployment told."""

    holder: Holder | None
    last_started: datetime | None
    told_deployment: str | None


@dataclass(frozen=True, slots=True)
class Taken:
    """This run holds the lease. ``state``: the item before it was taken."""

    state: State
    since: datetime


@dataclass(frozen=True, slots=True)
class Busy:
    """Another run holds the lease. ``recorded``: this event was recorded as a request for one more run."""

    holder: Holder
    recorded: bool


@dataclass(frozen=True, slots=True)
class Covered:
    """The lease was free, and the latest run started after this event: it saw what the event says."""

    last_started: datetime


@dataclass(frozen=True, slots=True)
class Released:
    """The lease is free again. ``requested``: the triggers recorded while it was held (each: one more run)."""

    requested: tuple[str, ...]
    lost: bool = False  # the lease had expired and another run took it: nothing was released


def read(ddb: DynamoDBClient, table: str, now: datetime) -> State:
    item = ddb.get_item(TableName=table, Key=KEY, ConsistentRead=True).get("Item") or {}
    holder = None
    if "holder" in item and _time(item["expires_at"]) >= now:
        holder = Holder(
            run_id=item["holder"]["S"],
            trigger=item["holder_trigger"]["S"],
            since=_time(item["holder_since"]),
            until=_time(item["expires_at"]),
        )
    last = _time(item["last_started"]) if "last_started" in item else None
    told = item["told_deployment"]["S"] if "told_deployment" in item else None
    return State(holder=holder, last_started=last, told_deployment=told)


def acquire(
    ddb: DynamoDBClient,
    table: str,
    *,
    run_id: str,
    trigger: str,
    now: datetime,
    until: datetime,
    event_time: datetime | None = None,
) -> Taken | Busy | Covered:
    """Take the lease for ``run_id``, or say who holds it (recording the event), or that a run already covered it.

    ``event_time``: when the event that started this run happened; given for findings only: a finding that
    happened before the latest run started was seen by that run.
    """
    for _ in range(3):  # a free lease taken by another run between the read and the write: read again
        state = read(ddb, table, now)
        if state.holder is not None:
            return Busy(state.holder, recorded=_request(ddb, table, state.holder, trigger, event_time or now))
        if event_time is not None and state.last_started is not None and event_time <= state.last_started:
            return Covered(state.last_started)
        try:
            ddb.update_item(
                TableName=table,
                Key=KEY,
                UpdateExpression=(
                    "SET holder = :run, holder_trigger = :trigger, holder_since = :now, expires_at = :until "
                    "REMOVE " + ", ".join(REQUESTS.values())
                ),
                ConditionExpression="attribute_not_exists(holder) OR expires_at < :now",
                ExpressionAttributeValues={
                    ":run": {"S": run_id},
                    ":trigger": {"S": trigger},
                    ":now": _number(now),
                    ":until": _number(until),
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == CONDITION_FAILED:
                continue
            raise
        return Taken(state, since=now)
    state = read(ddb, table, now)
    if state.holder is None:  # pragma: no cover - three lost races in a row
        raise RuntimeError("the run lease changed hands three times while it was being taken")
    return Busy(state.holder, recorded=_request(ddb, table, state.holder, trigger, event_time or now))


def _request(ddb: DynamoDBClient, table: str, holder: Holder, trigger: str, event_time: datetime) -> bool:
    """Record that ``trigger`` asked for a run while ``holder`` runs, if the holder may not have seen it."""
    attribute = REQUESTS.get(trigger)
    if attribute is None or event_time <= holder.since:
        return False
    try:
        ddb.update_item(
            TableName=table,
            Key=KEY,
            UpdateExpression=f"SET {attribute} = :at",
            ConditionExpression="holder = :run",
            ExpressionAttributeValues={":at": _number(event_time), ":run": {"S": holder.run_id}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == CONDITION_FAILED:
            return False  # the holder released it meanwhile: the next run covers this event
        raise
    return True


def release(
    ddb: DynamoDBClient,
    table: str,
    *,
    run_id: str,
    since: datetime,
    covers: bool = True,
    told_deployment: str | None = None,
) -> Released:
    """Free the lease. ``covers``: this run acted on what it listed (a real run that did not fail), so a finding
    from before ``since`` needs no run of its own; a dry or failed run covers nothing. ``told_deployment``: the
    deployment whose first run this run told people about."""
    values: dict[str, Any] = {":run": {"S": run_id}}
    sets = []
    if covers:
        sets.append("last_started = :since")
        values[":since"] = _number(since)
    if told_deployment is not None:
        sets.append("told_deployment = :told")
        values[":told"] = {"S": told_deployment}
    update = ("SET " + ", ".join(sets) + " " if sets else "") + "REMOVE holder, holder_trigger, holder_since, "
    update += "expires_at, " + ", ".join(REQUESTS.values())
    try:
        old = ddb.update_item(
            TableName=table,
            Key=KEY,
            UpdateExpression=update,
            ConditionExpression="holder = :run",
            ExpressionAttributeValues=values,
            ReturnValues="ALL_OLD",
        ).get("Attributes", {})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == CONDITION_FAILED:
            return Released(requested=(), lost=True)
        raise
    return Released(requested=tuple(trigger for trigger, attribute in REQUESTS.items() if attribute in old))


def _number(moment: datetime) -> dict[str, str]:
    return {"N": f"{moment.timestamp():.3f}"}


def _time(value: Any) -> datetime:
    """A time the item holds (epoch seconds, a DynamoDB number)."""
    return datetime.fromtimestamp(float(Decimal(value["N"])), UTC)
