"""The run's summary for people (subject, email text) and for machines (JSON): pure functions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import TypeVar

from cert_cleanup.aws import securityhub
from cert_cleanup.aws.securityhub import NOTE_MAX
from cert_cleanup.config import names
from cert_cleanup.models import Action, CertificateResult, DeleteAnswer, FailedLookup, RunResult
from cert_cleanup.notify import successors
from cert_cleanup.wording import day, moment, plural

T = TypeVar("T")

SNS_MESSAGE_LIMIT = 256 * 1024
SUBJECT_LIMIT = 99
SECTION_LIMIT = 40
MACHINE_PROTOCOLS = ("sqs", "lambda", "https", "http", "firehose")
PERSON_ACTIONS = (
    Action.DELETED,
    Action.WOULD_DELETE,
    Action.EXPIRING_SOON,
    Action.USAGE_UNKNOWN,
    Action.FAILED,
    Action.IN_USE,
    Action.GRACE_PERIOD,
)


def subject(result: RunResult) -> str:
    """Under 100 ASCII characters: account and the counts that matter."""
    counts = result.counts()
    parts = []
    labels = (
        (Action.DELETED, "deleted"),
        (Action.WOULD_DELETE, "would delete"),
        (Action.FAILED, "FAILED"),
        (Action.USAGE_UNKNOWN, "unchecked"),
        (Action.EXPIRING_SOON, "expiring soon"),
    )
    for action, label in labels:
        if counts[action.value]:
            parts.append(f"{counts[action.value]} {label}")
    if result.errors:
        parts.append(f"{plural(len(result.errors), 'lookup')} failed")
    in_use = counts[Action.IN_USE.value]
    if in_use:  # clients see TLS errors now: the subject leads with it
        parts.insert(0, f"{plural(in_use, 'expired certificate')} in use")
    return subject_line(
        "cert-cleanup DRY RUN" if result.dry_run else "cert-cleanup",
        account_name(result.account, result.account_label),
        parts or ["nothing to do"],
        incident=bool(in_use),
    )


def subject_line(what: str, where: str, parts: list[str], *, incident: bool, drop_parts: bool = False) -> str:
    """Every subject cert-cleanup writes has this one shape: ``[INCIDENT: ]<what> <where>: <part>, <part>``, ASCII
    (SNS email subjects), so an inbox rule can match ``INCIDENT:`` or ``cert-cleanup`` at the start.

    At most SUBJECT_LIMIT characters: with ``drop_parts`` the last parts are left out first (the digest orders
    them by urgency); what is still too long is cut with "...". The email has every count."""
    parts = list(parts)
    while True:
        text = (("INCIDENT: " if incident else "") + f"{what} {where}: " + ", ".join(parts)).encode("ascii", "replace")
        if len(text) <= SUBJECT_LIMIT:
            return text.decode()
        if not drop_parts or len(parts) == 1:
            return text[: SUBJECT_LIMIT - 3].decode() + "..."
        parts.pop()


def account_name(account: str, label: str | None) -> str:
    """How every message names an account: its id, then its label if it has one."""
    return account + (f" ({label})" if label else "")


def bullets(
    items: Sequence[T], limit: int, describe: Callable[[T], str], see: str = " (see the JSON result)"
) -> list[str]:
    """A "  - " line for each of the first ``limit`` items, then how many more there are and where to see them."""
    lines = [f"  - {describe(item)}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more{see}")
    return lines


def _failure_line(error: FailedLookup) -> str:
    line = f"{error.call}: {error.code}"
    return f"{line} ({error.hint})" if error.hint else line


def email_text(result: RunResult, *, section_limit: int = SECTION_LIMIT) -> str:
    """A summary a person reads in ten seconds: what went, what stayed and why, what is next."""
    account = account_name(result.account, result.account_label)
    lines = []
    in_use = [row for row in result.certificates if row.action is Action.IN_USE]
    if in_use:
        lines.append(
            f"INCIDENT: {plural(len(in_use), 'expired certificate').upper()} STILL IN USE. Clients of these "
            "resources see TLS errors now: replace the certificate on each resource; a later run deletes it once "
            "nothing uses it."
        )
        lines.extend(bullets(in_use, section_limit, _in_use_line))
        lines.append("")
    lines.append(f"IAM server certificate clean-up for account {account}, {moment(result.started_at)}.")
    if result.dry_run:
        because = f", because {result.dry_run_because}" if result.dry_run_because else ""
        lines.append(f"DRY RUN: nothing was deleted{because}.")
    if result.errors:
        lines.append(
            "SOME LOOKUPS FAILED: nothing was deleted in this run (cert-cleanup fails closed). See 'Could not check'."
        )
    lines.append("")

    def rows(action: Action) -> list[CertificateResult]:
        return [row for row in result.certificates if row.action is action]

    def section(title: str, action: Action, describe: Callable[[CertificateResult], str]) -> None:
        selected = rows(action)
        if not selected:
            return
        lines.append(f"{title} ({len(selected)}):")
        lines.extend(bullets(selected, section_limit, describe))
        lines.append("")

    section("Deleted", Action.DELETED, _deleted_line)
    section("Would delete (dry run)", Action.WOULD_DELETE, _expired_line)
    section("FAILED to delete", Action.FAILED, lambda row: f"{_expired_line(row)}: {row.reason}")
    section("Could not check, kept", Action.USAGE_UNKNOWN, lambda row: f"{_expired_line(row)}: {row.reason}")
    section("Already gone: deleted by someone else during this run", Action.ALREADY_GONE, _expired_line)
    if result.errors:
        lines.append("Lookups that failed:")
        lines.extend(bullets(result.errors, section_limit, _failure_line, see=""))
        lines.append("")
    section("Expiring soon: renew or replace", Action.EXPIRING_SOON, _expiring_line)
    section("Kept: expired, in grace period", Action.GRACE_PERIOD, _grace_line)
    section("Kept: exempt by tag", Action.EXEMPT, _expired_line)
    counts = result.counts()
    lines.append(
        f"Valid: {counts[Action.VALID.value]}. Certificates in the account: {len(result.certificates)}. "
        f"Regions searched: {len(result.regions)}."
    )
    lines.extend(skipped_lines(result))
    if result.compliance and not result.warnings:
        lines.append(f"Security Hub IAM.26: {result.compliance['note']}.")
    if result.security_hub and result.security_hub.get("outcome"):
        lines.append(f"Security Hub IAM.26 finding: {result.security_hub['outcome']}.")
    for warning in result.warnings:
        lines.append(f"Warning: {warning}.")
    if result.told_because:
        lines.append("")
        lines.append("You are told because: " + "; ".join(told_because(result, section_limit)) + ".")
    lines.append(f"Run id: {result.run_id}")
    return "\n".join(lines)


def told_because(result: RunResult, limit: int) -> list[str]:
    """Why a person is told, for every message: the run's reasons, and the incident when the subject says INCIDENT
    and no reason names it (the calendar tells an expired certificate in use only when it starts, then weekly)."""
    reasons = result.told_because[:limit]
    in_use = result.count(Action.IN_USE)
    if in_use and not any("in use" in reason for reason in reasons):
        reasons = [*reasons, f"{plural(in_use, 'expired certificate')} still in use (the incident above)"]
    return reasons


def sns_message(result: RunResult) -> str:
    """The ``MessageStructure=json`` message: text for email/default, JSON for machine protocols.

    Stays under SNS's 256 KB: when the full result is too large, the JSON keeps counts, errors
    and the certificates a person must act on, and says it was summarised.
    """
    for text_limit, level in ((SECTION_LIMIT, 0), (SECTION_LIMIT, 1), (10, 2), (3, 3)):
        text = email_text(result, section_limit=text_limit)
        machine = json.dumps(_machine_document(result, level), separators=(",", ":"))
        message = json.dumps({"default": text, "email": text, **dict.fromkeys(MACHINE_PROTOCOLS, machine)})
        if len(message.encode()) <= SNS_MESSAGE_LIMIT:
            return message
    raise AssertionError("summary does not fit in an SNS message even at its shortest")  # pragma: no cover


# EventBridge takes an event entry of at most 256 KB, counted as the UTF-8 bytes of its Source, DetailType and
# Detail (and 14 for a Time, and each Resources entry): EventBridge User Guide, "Calculating PutEvents event entry
# size". A larger entry is refused.
EVENT_SIZE_LIMIT = 256 * 1024
# Room kept for the envelope EventBridge wraps the detail in (id, account, time, region...), so that the whole event
# also fits a queue whose maximum message size is 256 KiB, SQS's long-standing default.
ENVELOPE_ROOM = 4 * 1024


def event_entry_size(source: str, detail_type: str, detail: str) -> int:
    """An entry's size as EventBridge counts it (no Time, no Resources)."""
    return len(source.encode()) + len(detail_type.encode()) + len(detail.encode())


def event_detail(result: RunResult) -> str:
    """The run's result as a member puts it on the organization's event bus: the machine document, summarised the
    way the SNS JSON is when whole it would exceed EventBridge's entry size, down to counts and errors alone."""
    for level in (0, 1, 2, 3, 4):
        detail = json.dumps(_machine_document(result, level), separators=(",", ":"))
        size = event_entry_size(names.RESULT_EVENT_SOURCE, names.RESULT_DETAIL_TYPE, detail)
        if size <= EVENT_SIZE_LIMIT - ENVELOPE_ROOM:
            return detail
    raise AssertionError("result does not fit in an event even at its shortest")  # pragma: no cover


def _machine_document(result: RunResult, level: int) -> dict[str, object]:
    document = result.as_dict()
    if level == 0:
        return document
    keep = {action.value for action in PERSON_ACTIONS}
    rows = [row for row in document["certificates"] if row["action"] in keep]  # type: ignore[attr-defined]
    limit = {1: None, 2: 200, 3: 20, 4: 0}[level]
    document["certificates_summarised"] = True
    document["certificates_total"] = len(result.certificates)
    document["certificates"] = rows if limit is None else rows[:limit]
    if level >= 2:
        document["errors"] = [error.as_dict() for error in result.errors[: 50 if level < 4 else 10]]
    if level >= 4:  # counts and the first errors only: bounded whatever the certificates' rows hold
        document["warnings"] = list(result.warnings[:10])
    return document


SERVICE_LABELS = {"elb": "Classic Load Balancing", "elbv2": "ALB/NLB", "appsync": "AppSync", "cloudfront": "CloudFront"}


def skipped_lines(result: RunResult) -> list[str]:
    """One line per service not searched everywhere: what botocore says does not exist there."""
    lines = []
    by_service: dict[str, list[str]] = {}
    for item in result.skipped:
        by_service.setdefault(item.service, []).append(item.region)
    for service, regions in sorted(by_service.items()):
        label = SERVICE_LABELS.get(service, service)
        if regions == ["global"]:
            lines.append(
                f"{label} not searched: it has no endpoint in this partition, so it cannot use these certificates."
            )
        else:
            lines.append(f"{label} is not offered in {len(regions)} of the {len(result.regions)} regions searched.")
    return lines


def _expired_line(row: CertificateResult) -> str:
    return f"{row.certificate.name} (expired {day(row.certificate.expiration)}, {row.certificate.arn})"


def _deleted_line(row: CertificateResult) -> str:
    line = _expired_line(row)
    if row.archived_to:
        line += f", archived to {row.archived_to}"
    if row.delete_answer is DeleteAnswer.GONE_ON_RETRY:
        line += " (IAM's answer was lost; its retry found it gone)"
    return line


def _in_use_line(row: CertificateResult) -> str:
    return f"{_expired_line(row)}: used by {_users(row)}" + "".join(f"\n      {line}" for line in successors.lines(row))


def _expiring_line(row: CertificateResult) -> str:
    line = f"{row.certificate.name} expires {day(row.certificate.expiration)} ({row.reason})"
    return line + _replace_on(row)


def _grace_line(row: CertificateResult) -> str:
    return f"{_expired_line(row)}: {row.reason}{_replace_on(row)}"


def _replace_on(row: CertificateResult) -> str:
    """Where to replace a certificate a person is reminded of, when the run searched."""
    if not row.used_by:
        return ""
    return f"; replace it on {_users(row)}"


def finding_note(result: RunResult) -> str:
    """The note written on the account's IAM.26 finding: what the run deleted, what expired certificates remain
    and why (each with the user to replace it on), at most NOTE_MAX characters. Only what the run proved: a run
    that could not list the certificates says so and claims nothing about what is left. When the note is too long
    the list of deleted names is shortened first, so that "what is left and why" survives."""
    when = moment(result.started_at)
    deleted = [row.certificate.name for row in result.certificates if row.action is Action.DELETED]
    if securityhub.listing_failed(result):
        [failure, *_] = [e for e in result.errors if (e.service, e.operation) == securityhub.LISTING]
        return _fit(
            f"cert-cleanup {when}: could not list the account's server certificates ({failure.code}), so nothing "
            "was checked or deleted and expired certificates may be left. A later run tries again.",
            NOTE_MAX,
        )
    kept = result.expired_left()
    failed = f"{plural(len(result.errors), 'lookup')} failed: nothing unproven was deleted. " if result.errors else ""
    if result.regions_left_out:
        failed += f"Regions not searched: {', '.join(result.regions_left_out)}. "
    # From the most detail to the least: the deleted list is shortened first at each level, then the reasons are
    # (successors and full ARNs first, then to a word), so that every certificate left is named with why.
    text = ""
    for detail in (2, 1, 0):
        if kept:
            reasons = [f"{row.certificate.name}: {_kept_because(row, detail)}" for row in kept]
            rest = f"{plural(len(kept), 'expired certificate')} left: " + "; ".join(reasons) + "."
        else:
            rest = "No expired certificate is left."
        for head in _deleted_heads(deleted):
            text = f"cert-cleanup {when}: {head}{failed}{rest}"
            if len(text) <= NOTE_MAX:
                return text
    return _fit(text, NOTE_MAX)


def _deleted_heads(deleted: list[str]) -> list[str]:
    """ "deleted N (names). ", from every name down to none: the first that fits the note is used."""
    if not deleted:
        return ["deleted none. "]
    fewer = range(min(len(deleted) - 1, NOTE_MAX // 4), 0, -1)  # names are at least 2 characters and ", "
    heads = [
        f"deleted {len(deleted)} ({', '.join(deleted[:shown])} and {len(deleted) - shown} more). " for shown in fewer
    ]
    return [f"deleted {len(deleted)} ({', '.join(deleted)}). ", *heads, f"deleted {len(deleted)}. "]


def _kept_because(row: CertificateResult, detail: int = 2) -> str:
    """Why an expired certificate is left; ``detail`` 2: with its users' ARNs and successor, 1: users by their
    resource name, 0: a word or two."""
    if row.action is Action.IN_USE:
        if detail == 0:
            return "in use"
        named = [user if detail == 2 else user.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for user in row.used_by]
        users = ", ".join(named[:2]) + (f" and {len(named) - 2} more" if len(named) > 2 else "")
        successor = f"; {successors.short(row)}" if row.successors and detail == 2 else ""
        return f"in use, replace it on {users or 'the resource IAM named'}{successor}"
    if row.action is Action.EXEMPT:
        return "exempt by tag"
    if row.action is Action.GRACE_PERIOD:
        return row.reason if detail else "in its grace period"
    if row.action is Action.FAILED:
        return f"failed ({row.reason})" if detail else "failed to delete"
    if row.action is Action.USAGE_UNKNOWN:
        return "not checked (a lookup failed)"
    return "would be deleted (dry run)"


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying the rest is in the run's result."""
    if len(text) <= limit:
        return text
    tail = " ... (the run's result lists all)"
    return text[: limit - len(tail)].rstrip(" ;,") + tail


CHAT_DESCRIPTION_LIMIT = 4000  # cert-cleanup's own bound: a chat message a person reads at a glance
CHAT_LINES = 10  # certificates named per section


INCIDENT_MARK = "\N{POLICE CARS REVOLVING LIGHT} "  # a Unicode emoji: Slack and Teams both show it as is


def chat_thread(result: RunResult) -> str:
    """The thread a post belongs to (``metadata.threadId``: posts with the same one are grouped where the channel
    threads notifications): an incident's own, named by the certificates in use, so that the reminders of the same
    incident follow it and a new incident starts its own; otherwise the day's (UTC), so that a day's runs, findings'
    runs included, are read together and the next day starts afresh."""
    in_use = sorted(row.certificate.arn for row in result.certificates if row.action is Action.IN_USE)
    if in_use:
        digest = hashlib.sha256("\n".join(in_use).encode()).hexdigest()[:12]
        return f"cert-cleanup-{result.account}-incident-{digest}"
    return f"cert-cleanup-{result.account}-{result.started_at.astimezone(UTC):%Y-%m-%d}"


def chat_notification(result: RunResult) -> dict[str, object]:
    """The run for a chat channel, as an Amazon Q Developer in chat applications custom notification (its
    documented event schema: version 1.0, source custom, content with client-markdown; "Custom notifications
    using Amazon Q Developer in chat applications", Event schema). An incident is titled and keyed as one.

    One payload reaches Slack and Teams alike (both subscribe to the one chat topic), so it uses only what both
    render the same: plain text, `code` and Unicode; no Slack mrkdwn (``*bold*``) and no ``:emoji:`` codes, which
    Teams shows as typed. Emphasis is capital letters."""
    in_use = [row for row in result.certificates if row.action is Action.IN_USE]
    lines: list[str] = []
    if in_use:
        lines.append(f"{plural(len(in_use), 'expired certificate').upper()} STILL IN USE: clients see TLS errors now.")
        lines.extend(
            f"- `{row.certificate.name}` used by {_users(row)}"
            + (f": {successors.short(row)}" if row.successors else "")
            for row in in_use[:CHAT_LINES]
        )
    if result.dry_run:
        because = f", because {result.dry_run_because}" if result.dry_run_because else ""
        lines.append(f"DRY RUN: nothing was deleted{because}.")
    if result.errors:
        lines.append(
            f"{plural(len(result.errors), 'lookup').upper()} FAILED: nothing was deleted (cert-cleanup fails closed)."
        )
    for action, label in (
        (Action.DELETED, "Deleted"),
        (Action.WOULD_DELETE, "Would delete"),
        (Action.FAILED, "FAILED to delete"),
        (Action.USAGE_UNKNOWN, "Could not check, kept"),
        (Action.EXPIRING_SOON, "Expiring soon"),
    ):
        rows = [row for row in result.certificates if row.action is action]
        if rows:
            names = ", ".join(f"`{row.certificate.name}`" for row in rows[:CHAT_LINES])
            more = f" and {len(rows) - CHAT_LINES} more" if len(rows) > CHAT_LINES else ""
            lines.append(f"{label} ({len(rows)}): {names}{more}")
    if result.told_because:
        lines.append("Told because: " + "; ".join(told_because(result, CHAT_LINES)))
    description = _fit("\n".join(lines) or "Nothing to do.", CHAT_DESCRIPTION_LIMIT)
    next_steps = []
    if in_use:
        next_steps.append("Replace each certificate in use on the resources named; a later run deletes it.")
    if result.errors:
        next_steps.append("Let the function read what failed (see the email or the run's JSON), then run it again.")
    return {
        "version": "1.0",
        "source": "custom",
        "id": result.run_id,
        "content": {
            "textType": "client-markdown",
            "title": (INCIDENT_MARK if in_use else "") + subject(result),
            "description": description,
            **({"nextSteps": next_steps} if next_steps else {}),
            "keywords": ["cert-cleanup", result.account, *(["INCIDENT"] if in_use else [])],
        },
        "metadata": {
            "threadId": chat_thread(result),
            "summary": subject(result),
            "eventType": "cert-cleanup-incident" if in_use else "cert-cleanup-run",
            "relatedResources": [row.certificate.arn for row in in_use[:CHAT_LINES]],
            "additionalContext": {"account": result.account, "run_id": result.run_id},
        },
    }


def _users(row: CertificateResult) -> str:
    users = ", ".join(row.used_by[:3]) + (f" and {len(row.used_by) - 3} more" if len(row.used_by) > 3 else "")
    return users or "a resource IAM named"
