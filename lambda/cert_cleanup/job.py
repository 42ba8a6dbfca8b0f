"""One Lambda invocation: validate, run, notify, and fail visibly when something failed."""

from __future__ import annotations

import functools
import os
from datetime import datetime, timedelta
from typing import Any

from cert_cleanup import run
from cert_cleanup.aws import archive as aws_archive
from cert_cleanup.aws import compliance, deployment, inventory, securityhub
from cert_cleanup.aws.clients import AWS_ERRORS, AwsClients, error_code, error_message
from cert_cleanup.aws.permissions import Permission
from cert_cleanup.config.events import Trigger, parse_event
from cert_cleanup.config.observability import logger
from cert_cleanup.config.settings import Settings
from cert_cleanup.errors import RunFailed
from cert_cleanup.models import Action, RunResult
from cert_cleanup.notify import message, publish, when
from cert_cleanup.usage import search
from cert_cleanup.wording import plural


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
    """Validate the event and settings (before any AWS call), run, publish, report.

    ``now`` (default: the clock) is injected by tests that run many simulated days.
    """
    settings = settings or lambda_settings()
    invocation = parse_event(event)
    clients = clients or default_clients()
    account = account_id(context, clients)
    invocation.check_account(account)
    if settings.account_label is None and settings.read_account_alias:
        settings = settings.model_copy(update={"account_label": account_alias(clients)})
    options = run.RunOptions.create(account, dry_run=settings.dry_run or invocation.dry_run, now=now)
    result = run.cleanup(settings, clients, options)
    result.dry_run_because = dry_run_because(settings.dry_run, invocation.dry_run)
    if settings.reevaluate_config_rule and result.count(Action.DELETED) and not result.dry_run:
        refresh_compliance(clients, result)
    if settings.update_findings and not result.dry_run:
        update_findings(clients, result)

    if settings.sns_topic_arn:
        # The first scheduled run after a deploy tells a person the whole current state: it needs to know when
        # the function was deployed, which only matters when people are told on change.
        deployed_at = None
        if invocation.scheduled and settings.tell_people == "on-change":
            deployed_at = function_deployed_at(context, clients, result)
        result.told_because = people_reasons(settings, result, trigger=invocation.trigger, deployed_at=deployed_at)
        if settings.chat_topic_arn and result.told_because:
            tell_chat(clients, settings.chat_topic_arn, result)
        for failure in publish.send_summary(clients, settings, result):  # the topic; a member's, the bus too
            result.errors.append(failure)
            logger.error("summary not published", extra=run.log_fields(failure.as_dict()))

    document = result.as_dict()
    logger.info("run finished", counts=document["counts"], errors=len(result.errors), dry_run=result.dry_run)
    if result.failed:
        logger.error("run result", result=document)
        raise RunFailed(failure_summary(result))
    return document


def tell_chat(clients: AwsClients, topic_arn: str, result: RunResult) -> None:
    """Post what people are told to the chat channel; a failure is a warning (the email still goes)."""
    region = publish.topic_region(topic_arn)
    try:
        publish.publish_chat(clients.client("sns", region), topic_arn, result)
    except AWS_ERRORS as exc:
        result.warnings.append(f"chat not told: SNS Publish failed ({error_code(exc)}: {error_message(exc)})")
        logger.warning("chat not told", code=error_code(exc))


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


def function_deployed_at(context: Any, clients: AwsClients, result: RunResult) -> datetime | None:
    """When this function was last deployed or changed; None outside Lambda.

    Best effort: a failure is a warning of the result, and the run is told as any other.
    """
    function_arn = getattr(context, "invoked_function_arn", "") or ""
    if not function_arn:
        return None
    try:
        return deployment.deployed_at(clients.client("lambda"), function_arn)
    except UNREADABLE as exc:
        warning = (
            f"the function's deployment time could not be read ({error_code(exc)}: {error_message(exc)}); "
            "a first run after a deploy is told like any other"
        )
        result.warnings.append(warning)
        logger.warning("deployment time not read", code=error_code(exc))
        return None


# A failed call, or an answer without a LastModified this code can read.
UNREADABLE: tuple[type[Exception], ...] = (*AWS_ERRORS, KeyError, ValueError)


def refresh_compliance(clients: AwsClients, result: RunResult) -> None:
    """Ask AWS Config to re-evaluate IAM.26's rule; the outcome is a note or a warning, never a failure."""
    region = compliance.rule_region(clients.partition)
    config = clients.client("config", region) if region else None
    outcome = compliance.reevaluate(config, region)
    result.compliance = outcome.as_dict()
    if outcome.warning:
        result.warnings.append(outcome.note)
        logger.warning("compliance not refreshed", note=outcome.note)
    else:
        logger.info("compliance refresh", note=outcome.note, rules=list(outcome.started))


def update_findings(clients: AwsClients, result: RunResult) -> None:
    """Write the run onto the account's IAM.26 finding(s); the outcome is a line of the result, or a warning."""
    partition = clients.partition
    region = compliance.rule_region(partition)
    hub = clients.client("securityhub", region) if region else None
    written = securityhub.update(hub, region, result.account, partition or "aws", result, message.finding_note(result))
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
    needed += publish.permissions(results_bus=results_bus, tell_people=tell_people)
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
