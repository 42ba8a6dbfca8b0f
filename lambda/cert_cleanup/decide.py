"""The rule that decides a certificate's fate: one pure function over plain data."""

from __future__ import annotations

from datetime import datetime, timedelta

from cert_cleanup.models import Action, Certificate, Decision, Evidence, Pending, Policy
from cert_cleanup.wording import moment, plural


def decide(cert: Certificate, evidence: Evidence, policy: Policy, now: datetime) -> Decision:
    """Decide what to do with ``cert``, or say which evidence is still needed.

    ``Pending.DELETE`` is returned only for a certificate that is expired at least
    ``policy.grace_days`` days, is known not to be exempt, and was proven unused by a complete
    search (every lookup succeeded, every enabled region searched), in a run that is not a dry run.
    """
    expiration = cert.expiration
    if expiration > now:
        if expiration - now <= timedelta(days=policy.expiry_warning_days):
            return Decision(Action.EXPIRING_SOON, f"expires in {_days(expiration - now)}")
        return Decision(Action.VALID, "not expired")

    expired_for = now - expiration
    grace = timedelta(days=policy.grace_days)
    if expired_for < grace:
        return Decision(
            Action.GRACE_PERIOD,
            f"expired {_days(expired_for)} ago; its {policy.grace_days}-day grace period ends "
            f"{moment(expiration + grace)}, and the first run after that deletes it if unused",
        )

    if evidence.tags_failed:
        return Decision(Action.USAGE_UNKNOWN, "expired; not deleted because its tags could not be read")
    if evidence.exempt is None:
        return Decision(Pending.NEEDS_TAGS, "expired; exemption tag not yet read")
    if evidence.exempt:
        return Decision(Action.EXEMPT, "expired but tagged exempt")

    usage = evidence.usage
    if usage is None:
        return Decision(Pending.NEEDS_USAGE, "expired; usage not yet searched")
    if usage.used_by:
        return Decision(Action.IN_USE, f"expired but used by {plural(len(usage.used_by), 'resource')}")
    if not usage.complete:
        if usage.left_out:
            regions = ", ".join(usage.left_out)
            return Decision(
                Action.USAGE_UNKNOWN,
                "expired; not proven unused: the search left out "
                f"{plural(len(usage.left_out), 'enabled region')}: {regions}",
            )
        return Decision(Action.USAGE_UNKNOWN, "expired; not deleted because a usage lookup failed")
    if policy.dry_run:
        return Decision(Action.WOULD_DELETE, f"expired {_days(expired_for)} ago and unused (dry run)")
    return Decision(Pending.DELETE, f"expired {_days(expired_for)} ago and unused")


def _days(delta: timedelta) -> str:
    if delta.days >= 1:
        return plural(delta.days, "day")
    return plural(int(delta.total_seconds() // 3600), "hour")
