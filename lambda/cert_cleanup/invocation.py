"""One Lambda invocation: validate, run, notify, and fail visibly when something failed."""

from __future__ import annotations

import functools
import os
from typing import Any

from cert_cleanup import notify, remediate, report
from cert_cleanup.aws import AWS_ERRORS, AwsClients, error_code, error_message
from cert_cleanup.errors import RunFailed
from cert_cleanup.events import parse_event
from cert_cleanup.models import Action, RunResult
from cert_cleanup.observability import logger
from cert_cleanup.settings import Settings


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
) -> dict[str, Any]:
    """Validate the event and settings (before any AWS call), run, publish, report."""
    settings = settings or lambda_settings()
    requested_dry_run = parse_event(event)
    clients = clients or default_clients()
    account = account_id(context, clients)
    if settings.account_label is None and settings.read_account_alias:
        settings = settings.model_copy(update={"account_label": account_alias(clients)})
    options = remediate.RunOptions.create(account, dry_run=settings.dry_run or requested_dry_run)
    result = remediate.run(settings, clients, options)

    publish_error = None
    if settings.sns_topic_arn and report.needs_a_person(result):
        try:
            sns = clients.client("sns", notify.topic_region(settings.sns_topic_arn))
            message_id = notify.publish_summary(sns, settings.sns_topic_arn, result)
            logger.info("summary published", message_id=message_id, topic=settings.sns_topic_arn)
        except AWS_ERRORS as exc:
            publish_error = {
                "service": "sns",
                "region": notify.topic_region(settings.sns_topic_arn),
                "operation": "Publish",
                "code": error_code(exc),
                "message": error_message(exc),
            }
            result.errors.append(publish_error)
            logger.error("summary not published", extra=remediate.log_fields(publish_error))

    document = result.as_dict()
    logger.info("run finished", counts=document["counts"], errors=len(result.errors), dry_run=result.dry_run)
    if result.failed:
        logger.error("run result", result=document)
        raise RunFailed(failure_summary(result))
    return document


def failure_summary(result: RunResult) -> str:
    parts = []
    if result.errors:
        first = result.errors[0]
        parts.append(
            f"{len(result.errors)} failed call(s), first: {first['service']} {first['operation']} "
            f"in {first['region']}: {first['code']}"
        )
    failed = result.count(Action.FAILED)
    if failed:
        parts.append(f"{failed} certificate(s) failed to delete")
    unknown = result.count(Action.USAGE_UNKNOWN)
    if unknown:
        parts.append(f"{unknown} expired certificate(s) kept unchecked")
    return f"cert-cleanup run {result.run_id} failed: " + "; ".join(parts)


def account_alias(clients: AwsClients) -> str | None:
    """The account's alias, to name it in a summary read across many accounts; None if unreadable.

    Only the summary's wording depends on it, so a failure here is logged, not failed closed.
    """
    try:
        aliases = clients.client("iam").list_account_aliases()["AccountAliases"]
    except AWS_ERRORS as exc:
        logger.warning("account alias not readable", code=error_code(exc))
        return None
    return str(aliases[0]) if aliases else None


def account_id(context: Any, clients: AwsClients) -> str:
    """The account from the function's own ARN when invoked by Lambda, else from STS."""
    function_arn = getattr(context, "invoked_function_arn", "") or ""
    parts = function_arn.split(":")
    if len(parts) >= 5 and parts[4].isdigit():
        return parts[4]
    return str(clients.client("sts").get_caller_identity()["Account"])
