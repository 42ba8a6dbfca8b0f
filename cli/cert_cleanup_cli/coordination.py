"""The command line's part in "one run at a time": find the deployed function's run lease and hold it while
``run`` deletes (aws/lease.py), or say plainly that it cannot.

Where the lease is: ``--lease-table`` (or CERT_CLEANUP_LEASE_TABLE), else the ``LeaseTableName`` output of the
stack this repository's app deploys (``CertCleanup``) in the account's home region, else the one table there
tagged ``cert-cleanup:role=run-lease`` (the construct tags it, in whatever stack a user adds it to). A person's
run is a run by hand: when the function is running, nothing is deleted and the person is told to try again once
it has ended.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from cert_cleanup.aws import lease
from cert_cleanup.aws.clients import AWS_ERRORS, AwsClients, error_code, error_message
from cert_cleanup.config import names
from cert_cleanup.models import FailedLookup, RunResult

STACK_NAME = "CertCleanup"  # app.py's single-account stack
# A person's run holds the lease at most this long: a crashed command line frees it by then.
HOLD = timedelta(minutes=30)
BUSY = "RunInProgress"
# How a run refused for the lease names what stopped it (not an AWS operation: the lease as a whole).
LEASE = "run lease"


@dataclass(frozen=True, slots=True)
class Found:
    """The lease table, or None with why it was not found."""

    table: str | None
    note: str = ""


def find_table(clients: AwsClients, given: str | None) -> Found:
    """The deployed function's lease table: the one given, the stack's output in the home region, or else the one
    table there tagged as a run lease (a construct in the user's own stack)."""
    if given:
        return Found(given)
    from_stack = _from_stack(clients)
    if from_stack.table:
        return from_stack
    tagged, unread = _tagged(clients)
    if len(tagged) == 1:
        return Found(tagged[0])
    region = clients.home_region
    if tagged:
        return Found(
            None,
            f"the deployed function's run lease is not known: {len(tagged)} tables in {region} are tagged as one "
            f"({', '.join(tagged)}) and none is guessed; if the function runs now, both runs may act at once (each "
            f"certificate is still deleted once): pass --lease-table (or {names.ENV_CLI_LEASE_TABLE}) to name it",
        )
    looked = f"no table in {region} named like one (holding {names.LEASE_TABLE_ID}) is tagged as one{unread}"
    return Found(None, _not_found(f"{from_stack.note}, and {looked}"))


def _from_stack(clients: AwsClients) -> Found:
    region = clients.home_region
    try:
        stacks = clients.client("cloudformation").describe_stacks(StackName=STACK_NAME)["Stacks"]
    except ClientError as exc:
        why = (
            f"no stack {STACK_NAME} in {region}"
            if error_code(exc) == "ValidationError"
            else f"the stack {STACK_NAME} could not be read ({error_code(exc)}: {error_message(exc)})"
        )
        return Found(None, why)
    except AWS_ERRORS as exc:
        return Found(None, f"the stack {STACK_NAME} could not be read ({error_code(exc)})")
    for output in stacks[0].get("Outputs", []) if stacks else []:
        if output.get("OutputKey") == names.LEASE_TABLE_OUTPUT:
            return Found(str(output["OutputValue"]))
    return Found(None, f"the stack {STACK_NAME} in {region} has no {names.LEASE_TABLE_OUTPUT} output")


def _named_like_a_lease(table: str) -> bool:
    """CloudFormation's generated name holds the construct id (``...-CertsRunLease1A2B...-XYZ``); a table named by
    hand may spell it ``run-lease`` or ``run_lease``: the tag decides, this only spares asking every table."""
    return names.LEASE_TABLE_ID.lower() in table.lower().replace("-", "").replace("_", "")


def _tagged(clients: AwsClients) -> tuple[list[str], str]:
    """The home region's tables tagged as a run lease (only those named like one are asked for their tags), and
    what could not be read (said in the note)."""
    ddb = clients.client("dynamodb")
    try:
        tables = [
            name
            for page in ddb.get_paginator("list_tables").paginate()
            for name in page.get("TableNames", [])
            if _named_like_a_lease(name)
        ]
    except AWS_ERRORS as exc:
        return [], f" (the tables could not be listed: {error_code(exc)})"
    tagged, unread = [], []
    for name in tables:
        try:
            arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
            tags = ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])
        except AWS_ERRORS as exc:
            unread.append(f"{name} ({error_code(exc)})")
            continue
        if {"Key": names.LEASE_TABLE_TAG_KEY, "Value": names.LEASE_TABLE_TAG_VALUE} in tags:
            tagged.append(name)
    return tagged, f" (the tags of {', '.join(unread)} could not be read)" if unread else ""


def _not_found(why: str) -> str:
    return (
        f"the deployed function's run lease was not found ({why}): if the function runs now, both runs may act at "
        f"once (each certificate is still deleted once); pass --lease-table (or {names.ENV_CLI_LEASE_TABLE}) where it "
        "was deployed under another stack name"
    )


def held_by(clients: AwsClients, table: str) -> str | None:
    """Why a run now would delete nothing (another run holds the lease), or None; asked before a person is asked
    to approve. Advisory only: taking the lease decides (a lease that cannot be read is left to that)."""
    try:
        state = lease.read(clients.client("dynamodb"), table, datetime.now(UTC))
    except AWS_ERRORS:
        return None
    return _busy(state.holder) if state.holder else None


def _busy(holder: lease.Holder) -> str:
    return (
        f"another cert-cleanup run is in progress: {holder.describe()}; nothing was deleted: try again once it has "
        "ended"
    )


def holding(clients: AwsClients, table: str, account: str, work: Callable[[str], RunResult]) -> RunResult:
    """Run ``work(run_id)`` holding the lease; if another run holds it, nothing runs and the result says so."""
    ddb = clients.client("dynamodb")
    now = datetime.now(UTC)
    run_id = uuid.uuid4().hex
    try:
        got = lease.acquire(ddb, table, run_id=run_id, trigger="by-hand", now=now, until=now + HOLD)
    except AWS_ERRORS as exc:
        message = (
            f"the run lease {table} could not be taken ({error_code(exc)}: {error_message(exc)}); nothing was "
            "deleted: your credentials need dynamodb:GetItem and dynamodb:UpdateItem on it"
        )
        return _refused(account, clients.home_region, error_code(exc), message)
    if isinstance(got, lease.Busy):
        return _refused(account, clients.home_region, BUSY, _busy(got.holder))
    assert isinstance(got, lease.Taken)  # a run by hand is never "covered"
    try:
        return work(run_id)
    finally:
        with contextlib.suppress(*AWS_ERRORS):  # not released: it ends at its expiry (HOLD)
            lease.release(ddb, table, run_id=run_id, since=now)


def _refused(account: str, region: str, code: str, message: str) -> RunResult:
    result = RunResult(run_id="-", account=account, account_label=None, dry_run=True, started_at=datetime.now(UTC))
    result.errors.append(FailedLookup("dynamodb", region, LEASE, code, message))
    return result
