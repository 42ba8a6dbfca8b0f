"""One Lambda invocation: validate, take the run lease, run, notify, and fail visibly when something failed."""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cert_cleanup import best_effort, run
from cert_cleanup.aws import acm, compliance, deployment, inventory, lease, securityhub
from cert_cleanup.aws import archive as aws_archive
from cert_cleanup.aws.clients import (
    AWS_ERRORS,
    BEST_EFFORT_CONFIG,
    PUBLISH_CONFIG,
    AwsClients,
    error_code,
)
from cert_cleanup.aws.permissions import Permission
from cert_cleanup.config.events import Invocation, Trigger, parse_event
from cert_cleanup.config.observability import logger, metrics
from cert_cleanup.config.settings import Settings
from cert_cleanup.errors import RunFailed
from cert_cleanup.models import Action, RunResult
from cert_cleanup.notify import message, publish, when
from cert_cleanup.usage import search
from cert_cleanup.wording import plural

# Outside Lambda (tests, a local invoke) the invocation is given this long.
DEFAULT_SECONDS = 15 * 60.0
# The lease outlives the invocation by this much: a run that times out releases nothing, and the next run may take
# the lease once it has surely ended.
LEASE_MARGIN = timedelta(minutes=1)
# One more run, for the events recorded while this one ran, only with this much time left; otherwise the next
# event or the schedule runs it.
FOLLOW_UP_MIN_SECONDS = 5 * 60.0
MAX_FOLLOW_UPS = 2
# Which trigger a follow-up run has, when several asked: a person's click is told; a schedule tells the calendar.
FOLLOW_UP_ORDER = (Trigger.CUSTOM_ACTION, Trigger.SCHEDULE, Trigger.FINDING)
METRIC_RUNS_SKIPPED = "RunsSkipped"


@functools.cache
def lambda_settings() -> Settings:
    """Read and validate the environment once per execution environment."""
    return Settings.from_env(os.environ, require_topic=True)


@functools.cache
def default_clients() -> AwsClients:
    return AwsClients()


def handle(
    event: object,
    context: Any,
    *,
    settings: Settings | None = None,
    clients: AwsClients | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Validate the event and settings (before any AWS call), take the run lease, run, publish, report.

    With a lease table (the deployed function always has one), at most one run acts on the account at a time:
    an invocation that finds another run in progress returns at once, successfully, saying which run; what it
    asked for is recorded, and the run in progress runs once more when it ends (aws/lease.py).

    ``now`` (default: the clock) is injected by tests that run many simulated days.
    """
    settings = settings or lambda_settings()
    invocation = parse_event(event)
    clients = clients or default_clients()
    account = account_id(context, clients)
    invocation.check_account(account)
    if settings.account_label is None and settings.read_account_alias:
        settings = settings.model_copy(update={"account_label": account_alias(clients)})
    deadline = best_effort.Deadline.from_context(context, DEFAULT_SECONDS)
    job = Job(invocation, context, settings, clients, account, deadline)
    if not settings.lease_table:
        return job.finish(job.once(invocation.trigger, uuid.uuid4().hex, now or datetime.now(UTC), None))

    ddb = clients.client("dynamodb")
    trigger = invocation.trigger
    # A finding (or a custom action's click) that happened before the latest run started was seen by that run: a
    # selection of many findings sends one event each, and the first one's run covers the rest. A schedule and a
    # by-hand invoke always ask for a run.
    event_time = invocation.event_time if trigger in {Trigger.FINDING, Trigger.CUSTOM_ACTION} else None
    runs: list[Finished] = []
    for _ in range(1 + MAX_FOLLOW_UPS):
        started = now or datetime.now(UTC)
        run_id = uuid.uuid4().hex
        until = started + timedelta(seconds=deadline.remaining()) + LEASE_MARGIN
        got = lease.acquire(
            ddb, settings.lease_table, run_id=run_id, trigger=trigger, now=started, until=until, event_time=event_time
        )
        if not isinstance(got, lease.Taken):
            if runs:  # a follow-up another run took over: that run covers what was asked
                break
            return skipped(got, trigger)
        finished: Finished | None = None
        try:
            finished = job.once(trigger, run_id, started, got.state.told_deployment)
        finally:
            released = release(ddb, settings.lease_table, run_id, started, finished)
        runs.append(finished)
        if finished.result.failed or not released.requested:
            break
        if deadline.remaining() < FOLLOW_UP_MIN_SECONDS:
            logger.warning("follow-up run left to the next event", requested=list(released.requested))
            break
        trigger = next(choice for choice in FOLLOW_UP_ORDER if choice.value in released.requested)
        event_time = None
        logger.info("follow-up run", trigger=trigger.value, requested=list(released.requested))
    return job.finish(*runs)


@dataclass(frozen=True, slots=True)
class Finished:
    """A run done and told: its result, and the deployment whose first run it told people about (if it did)."""

    result: RunResult
    told_deployment: str | None = None


def release(ddb: Any, table: str, run_id: str, started: datetime, finished: Finished | None) -> lease.Released:
    """Free the lease; a failure is logged (the lease then ends at its expiry), never the run's failure."""
    told = finished.told_deployment if finished else None
    covers = finished is not None and not finished.result.dry_run and not finished.result.failed
    try:
        released = lease.release(ddb, table, run_id=run_id, since=started, covers=covers, told_deployment=told)
    except AWS_ERRORS as exc:
        logger.error("run lease not released; it ends at its expiry", code=error_code(exc), run_id=run_id)
        return lease.Released(requested=())
    if released.lost:
        logger.warning("run lease had expired and was taken by another run", run_id=run_id)
    return released


def skipped(got: lease.Busy | lease.Covered, trigger: Trigger) -> dict[str, Any]:
    """What an invocation returns when it does not run: plainly why, and no failure (no alarm)."""
    if isinstance(got, lease.Busy):
        reason = f"another cert-cleanup run is in progress: {got.holder.describe()}"
        if got.recorded:
            reason += "; this request was recorded and that run runs once more when it ends"
        elif trigger is Trigger.BY_HAND:
            reason += "; nothing was done: invoke again once it has ended"
        else:
            reason += "; it started after this event, so it covers it"
        running = got.holder.run_id
    else:
        reason = (
            f"already covered: the latest run started at {got.last_started:%Y-%m-%d %H:%M:%S} UTC, after this "
            "finding was updated, and saw what it says"
        )
        running = None
    logger.info("run skipped", reason=reason, trigger=trigger.value)
    metrics.add_metric(name=METRIC_RUNS_SKIPPED, unit="Count", value=1)
    return {"not_run": True, "trigger": trigger.value, "reason": reason, "running_run_id": running}


@dataclass(frozen=True)
class Job:
    """What every run of one invocation shares."""

    invocation: Invocation
    context: Any
    settings: Settings
    clients: AwsClients
    account: str
    deadline: best_effort.Deadline

    def once(self, trigger: Trigger, run_id: str, now: datetime, told_deployment: str | None) -> Finished:
        """One run: delete what is proven safe, record it, then inform (best effort, on budget), then publish."""
        settings, invocation = self.settings, self.invocation
        options = run.RunOptions.create(
            self.account, dry_run=settings.dry_run or invocation.dry_run, now=now, run_id=run_id, deadline=self.deadline
        )
        result = run.cleanup(settings, self.clients, options)
        result.dry_run_because = dry_run_because(settings.dry_run, invocation.dry_run)
        record(result)
        # After the irreversible act, only what informs: each step on a budget, a failure a warning.
        later = self.clients.with_config(BEST_EFFORT_CONFIG)
        if settings.reevaluate_config_rule and result.count(Action.DELETED) and not result.dry_run:
            refreshed = self._step(result, "AWS Config re-evaluation", lambda: refresh_compliance(later))
            if refreshed is not None:
                noted_compliance(result, refreshed)
        if settings.update_findings and not result.dry_run:
            written = self._step(result, "Security Hub write-back", lambda: update_findings(later, result))
            if written is not None:
                noted_findings(result, written)
        told = None
        if settings.sns_topic_arn:
            # The first scheduled run after a deploy tells a person the whole current state, once per deployment.
            deployed_at = None
            if trigger is Trigger.SCHEDULE and settings.tell_people == "on-change":
                deployed_at = self._deployed_at(later, result)
                if deployed_at is not None and deployed_at.isoformat() == told_deployment:
                    deployed_at = None
            result.told_because = people_reasons(settings, result, trigger=trigger, deployed_at=deployed_at)
            if settings.chat_topic_arn and result.told_because:  # before the email, which says if it failed
                chat_topic = settings.chat_topic_arn
                self._step(result, "chat post", lambda: tell_chat(later, chat_topic, result))
            published = publish_summary(self.clients.with_config(PUBLISH_CONFIG), settings, result)
            first_run_told = any(reason.startswith(FIRST_RUN) for reason in result.told_because)
            if published and first_run_told and deployed_at is not None:
                told = deployed_at.isoformat()
        return Finished(result, told)

    def finish(self, first: Finished, *follow_ups: Finished) -> dict[str, Any]:
        """The first run's document, with its follow-up runs' (each published on its own); fails if any failed."""
        document = self._report(first.result)
        if follow_ups:
            document["follow_ups"] = [self._report(finished.result) for finished in follow_ups]
        failed = [finished.result for finished in (first, *follow_ups) if finished.result.failed]
        if failed:
            raise RunFailed(failure_summary(failed[0]))
        return document

    def _report(self, result: RunResult) -> dict[str, Any]:
        document = result.as_dict()
        logger.info("run finished", counts=document["counts"], errors=len(result.errors), dry_run=result.dry_run)
        if result.failed:
            logger.error("run result", result=document)
        return document

    def _step(self, result: RunResult, name: str, step: Any, otherwise: str = "") -> Any:
        outcome = best_effort.run_step(name, step, self.deadline, otherwise=otherwise)
        if outcome.warning:
            result.warnings.append(outcome.warning)
        return outcome.value

    def _deployed_at(self, clients: AwsClients, result: RunResult) -> datetime | None:
        function_arn = getattr(self.context, "invoked_function_arn", "") or ""
        if not function_arn:
            return None
        value: datetime | None = self._step(
            result,
            "reading the function's deployment time",
            lambda: deployment.deployed_at(clients.client("lambda"), function_arn),
            otherwise="a first run after a deploy is told like any other",
        )
        return value


FIRST_RUN = "the first scheduled run since cert-cleanup was deployed"


def record(result: RunResult) -> None:
    """The record of the irreversible act, before anything else: each certificate this run deleted, in the log."""
    for row in result.certificates:
        if row.action is Action.DELETED:
            logger.info(
                "deleted", run_id=result.run_id, certificate=row.certificate.name, arn=row.certificate.arn,
                archived_to=row.archived_to,
            )  # fmt: skip


def publish_summary(clients: AwsClients, settings: Settings, result: RunResult) -> bool:
    """Send the summary where the settings say (the topic; a member's result, the organization's bus too); a failure
    is the run's error (the alarm fires)."""
    try:
        failures = publish.send_summary(clients, settings, result)
    except (KeyError, TypeError, AttributeError) as exc:  # AWS took it (200) and said it oddly: it is sent
        logger.warning("summary sent; the answer had no id", error=f"{type(exc).__name__}: {exc}")
        return True
    for failure in failures:
        result.errors.append(failure)
        logger.error("summary not published", extra=run.log_fields(failure.as_dict()))
    return not failures


def tell_chat(clients: AwsClients, topic_arn: str, result: RunResult) -> None:
    """Post what people are told to the chat channel (run as a best-effort step: a failure is a warning)."""
    region = publish.topic_region(topic_arn)
    publish.publish_chat(clients.client("sns", region), topic_arn, result)


def dry_run_because(deployed: bool, asked: bool) -> str:
    """What made this invocation a dry run, said so that a person knows what to change to delete."""
    if deployed:
        return (
            "the function is deployed with DRY_RUN=true; to delete, deploy again with -c dryRun=false "
            "(or set DRY_RUN=false)"
        )
    if asked:
        return 'the event asked for one ({"dry_run": true}); the scheduled runs delete'
    return ""


def people_reasons(
    settings: Settings, result: RunResult, *, trigger: Trigger, deployed_at: datetime | None = None
) -> list[str]:
    """Why a person should read this run's summary, per ``TELL_PEOPLE``; empty: machines only."""
    if settings.tell_people == "never":
        return []
    if settings.tell_people == "every-run":
        return ["every run is sent to people (TELL_PEOPLE=every-run)"]
    calendar = when.Calendar(
        interval=timedelta(minutes=settings.run_interval_minutes),
        reminder_days=settings.reminder_days,
        expiry_warning_days=settings.expiry_warning_days,
        grace_days=settings.grace_days,
        schedule_kind=settings.schedule_kind,
    )
    return when.reasons_to_tell(result, calendar, trigger=trigger, deployed_at=deployed_at)


def refresh_compliance(clients: AwsClients) -> compliance.Reevaluation:
    """Ask AWS Config to re-evaluate IAM.26's rule (a best-effort step): a note, or a warning."""
    region = compliance.rule_region(clients.partition)
    config = clients.client("config", region) if region else None
    return compliance.reevaluate(config, region)


def noted_compliance(result: RunResult, outcome: compliance.Reevaluation) -> None:
    result.compliance = outcome.as_dict()
    if outcome.warning:
        result.warnings.append(outcome.note)
        logger.warning("compliance not refreshed", note=outcome.note)
    else:
        logger.info("compliance refresh", note=outcome.note, rules=list(outcome.started))


def update_findings(clients: AwsClients, result: RunResult) -> securityhub.FindingsUpdate:
    """Write the run onto the account's IAM.26 finding(s) (a best-effort step; it reads the result, never writes
    it)."""
    partition = clients.partition
    region = compliance.rule_region(partition)
    hub = clients.client("securityhub", region) if region else None
    note = message.finding_note(result)
    return securityhub.update(hub, region, result.account, partition or "aws", result, note)


def noted_findings(result: RunResult, written: securityhub.FindingsUpdate) -> None:
    result.security_hub = written.as_dict()
    result.warnings.extend(written.warnings)
    logger.info("security hub", outcome=written.outcome, findings=len(written.findings), warnings=written.warnings)


def failure_summary(result: RunResult) -> str:
    parts = []
    if result.errors:
        first = result.errors[0]
        parts.append(f"{plural(len(result.errors), 'failed call')}, first: {first.call}: {first.code}")
    failed = result.count(Action.FAILED)
    if failed:
        parts.append(f"{plural(failed, 'certificate')} failed to delete")
    unknown = result.count(Action.USAGE_UNKNOWN)
    if unknown:
        parts.append(f"{plural(unknown, 'expired certificate')} kept unchecked")
    return f"cert-cleanup run {result.run_id} failed: " + "; ".join(parts)


def account_alias(clients: AwsClients) -> str | None:
    """The account's alias, to name it in a summary read across many accounts; None if unreadable.

    Only the summary's wording depends on it, so a failure here is logged, not failed closed.
    """
    try:
        return inventory.account_alias(clients.client("iam"))
    except AWS_ERRORS as exc:
        logger.warning("account alias not readable", code=error_code(exc))
        return None


def permissions(
    *,
    archive: bool,
    reevaluate_config_rule: bool,
    read_account_alias: bool,
    tell_people: str,
    update_findings: bool,
    chat: bool = False,
    results_bus: bool = False,
) -> tuple[Permission, ...]:
    """Every permission the calls of an invocation need with these settings, as each module declares them."""
    needed = [*inventory.PERMISSIONS, *search.PERMISSIONS]
    needed += [permission for consumer in search.CONSUMERS for permission in consumer.PERMISSIONS]
    needed += lease.PERMISSIONS
    needed += publish.permissions(results_bus=results_bus, tell_people=tell_people)
    needed += acm.PERMISSIONS  # the successor of an expired certificate in use (succession.py)
    needed += aws_archive.PERMISSIONS if archive else inventory.TAG_PERMISSIONS
    if reevaluate_config_rule:
        needed += compliance.PERMISSIONS
    if read_account_alias:
        needed += inventory.ALIAS_PERMISSIONS
    if tell_people == "on-change":
        needed += deployment.PERMISSIONS
    if update_findings:
        needed += securityhub.PERMISSIONS
    if chat:
        needed += publish.CHAT_PERMISSIONS
    return tuple(dict.fromkeys(needed))


def account_id(context: Any, clients: AwsClients) -> str:
    """The account from the function's own ARN when invoked by Lambda, else from STS."""
    function_arn = getattr(context, "invoked_function_arn", "") or ""
    parts = function_arn.split(":")
    if len(parts) >= 5 and parts[4].isdigit():
        return parts[4]
    return clients.caller_account()
