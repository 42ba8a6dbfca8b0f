"""Whether a person should read this run's summary, and why: a pure function of the result and the dates.

Every run publishes its JSON for machines. A person is told only when something starts, changes
or is due, so that the email that matters is not lost among identical ones:

- anything deleted, failed to delete, or kept unchecked; any failed lookup;
- a certificate expiring soon, at each reminder (30, 14, 7, 3 and 1 days left by default, and
  the first day of the warning window);
- a certificate that has just expired (its grace period starts), and at the last run before its
  grace period ends (it will be deleted at the next run if unused);
- an expired certificate still in use (an incident) when its grace period ends, then weekly;
  in a dry run, a certificate that would be deleted, on the same calendar;
- a delete IAM refused because the certificate is in use (a user the search did not see);
- a run somebody started by hand, and the first scheduled run after a deploy (the whole current state).

"Just" means: the moment fell since the previous scheduled run, i.e. within ``interval`` before
this run. That needs no state kept between runs (see docs/how-it-works.md for why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cert_cleanup.config.events import Trigger
from cert_cleanup.models import DELETE_REFUSED, Action, CertificateResult, DeleteAnswer, RunResult
from cert_cleanup.wording import moment, plural

WEEK = timedelta(days=7)
DAY = timedelta(days=1)
ALWAYS_TOLD = {
    Action.DELETED: "deleted",
    Action.FAILED: "failed to delete",
    Action.USAGE_UNKNOWN: "kept unchecked",
}


@dataclass(frozen=True, slots=True)
class Calendar:
    """When reminders fall: the settings that place them, and the time between scheduled runs."""

    interval: timedelta
    reminder_days: tuple[int, ...]
    expiry_warning_days: int
    grace_days: int
    # "rate" or "cron" (the stack's schedule), None when not known: only a rate() schedule's first run comes
    # later than one interval after the deploy.
    schedule_kind: str | None = None


def reasons_to_tell(
    result: RunResult, calendar: Calendar, *, trigger: Trigger, deployed_at: datetime | None = None
) -> list[str]:
    """Why a person should read this run; an empty list means the run is for machines only.

    ``deployed_at``: when the function was last deployed or changed. The first scheduled run after it
    tells a person the whole current state (afterwards, only what starts, changes or is due).

    A run a Security Hub finding started is told only what it deleted itself: findings come in bursts (every
    update of a finding is an event, in two formats), and overlapping runs must not email the same news twice.
    One run at a time acts on an account (job.py's run lease), and a certificate it finds deleted by someone else is
    ``already_gone``, never ``deleted``: each deletion is told once, by the run that did it; the
    calendar's moments are told by the scheduled run, failures by the alarm and the next scheduled run.
    """
    now = result.started_at
    reasons: list[str] = []
    if trigger is Trigger.FINDING:
        deleted = [row for row in result.certificates if row.action is Action.DELETED]
        return [f"{plural(len(deleted), 'certificate')} deleted"] if deleted else []
    if trigger is Trigger.BY_HAND:
        reasons.append("the run was started by hand")
    elif trigger is Trigger.CUSTOM_ACTION:
        reasons.append("the run was started from Security Hub (custom action)")
    elif deployed_at is not None and first_run_since_deploy(now, deployed_at, calendar):
        reasons.append(
            f"the first scheduled run since cert-cleanup was deployed or changed ({moment(deployed_at)}): "
            "the whole current state"
        )
    for action, label in ALWAYS_TOLD.items():
        count = result.count(action)
        if count:
            reasons.append(f"{plural(count, 'certificate')} {label}")
    if result.errors:
        reasons.append(f"{plural(len(result.errors), 'lookup')} failed")

    def since_last_run(when: datetime) -> bool:
        return now - calendar.interval < when <= now

    for row in result.certificates:
        reason = _row_reason(row, calendar, now, since_last_run)
        if reason:
            reasons.append(f"{row.certificate.name}: {reason}")
    return reasons


def first_run_since_deploy(now: datetime, deployed_at: datetime, calendar: Calendar) -> bool:
    """Whether a scheduled run at ``now`` is the first since the deploy at ``deployed_at``, as far as the calendar
    tells. With its margin two runs can both qualify (an update within the margin of the next run): the run lease
    remembers the deployment told, so the second is not told again (job.py)."""
    return now - calendar.interval - first_run_margin(calendar) < deployed_at <= now


def first_run_margin(calendar: Calendar) -> timedelta:
    """How much later than one interval after the deploy the first scheduled run may come: CloudFormation
    creates the schedule after the function, and a rate() schedule first fires one interval after its creation.
    A cron() schedule fires at its own times, so its first run after a deploy is the first within one interval:
    with a margin, a deploy just before a cron time would make the next run "first" too (told twice)."""
    if calendar.schedule_kind == "cron":
        return timedelta(0)
    return min(timedelta(hours=1), calendar.interval / 2)


def _row_reason(
    row: CertificateResult, calendar: Calendar, now: datetime, since_last_run: Callable[[datetime], bool]
) -> str | None:
    expiration = row.certificate.expiration
    grace_end = expiration + calendar.grace_days * DAY
    if row.action is Action.EXPIRING_SOON:
        thresholds = {days for days in calendar.reminder_days if days <= calendar.expiry_warning_days}
        for days in sorted(thresholds | {calendar.expiry_warning_days}, reverse=True):
            if since_last_run(expiration - days * DAY):
                return f"{plural(days, 'day')} left before it expires"
        return None
    if row.action is Action.GRACE_PERIOD:
        if since_last_run(expiration):
            return "expired since the last run; its grace period starts"
        if now < grace_end <= now + calendar.interval:
            return "grace period ends before the next run, which deletes it if it is unused"
        return None
    if row.delete_answer is DeleteAnswer.REFUSED_IN_USE:
        return f"{DELETE_REFUSED}: a user the search did not find"
    if row.action in {Action.IN_USE, Action.WOULD_DELETE}:
        what = "expired and still in use" if row.action is Action.IN_USE else "would be deleted (dry run)"
        if since_last_run(grace_end):
            return f"{what}, since the last run"
        weeks = (now - grace_end) // WEEK
        if weeks >= 1 and since_last_run(grace_end + weeks * WEEK):
            return f"{what}, weekly reminder ({plural(weeks, 'week')})"
    return None
