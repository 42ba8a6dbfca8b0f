"""The decision rule: every branch, and the property that guards deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cert_cleanup.decide import decide
from cert_cleanup.models import Action, Certificate, Evidence, Pending, Policy, Usage

pytestmark = pytest.mark.safety

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
POLICY = Policy(grace_days=7, expiry_warning_days=30, dry_run=False)
UNUSED = Usage(complete=True)


def cert(expires_in: timedelta) -> Certificate:
    return Certificate(
        name="c",
        id="ASCAEXAMPLE",
        arn="arn:aws:iam::123456789012:server-certificate/c",
        path="/",
        expiration=NOW + expires_in,
    )


@pytest.mark.parametrize(
    ("expires_in", "evidence", "policy", "expected"),
    [
        (timedelta(days=31), Evidence(), POLICY, Action.VALID),
        (timedelta(days=30), Evidence(), POLICY, Action.EXPIRING_SOON),
        (timedelta(seconds=1), Evidence(), POLICY, Action.EXPIRING_SOON),
        (timedelta(0), Evidence(), POLICY, Action.GRACE_PERIOD),
        (-timedelta(days=6, hours=23), Evidence(), POLICY, Action.GRACE_PERIOD),
        (-timedelta(days=7), Evidence(), POLICY, Pending.NEEDS_TAGS),
        (-timedelta(days=8), Evidence(exempt=True), POLICY, Action.EXEMPT),
        (-timedelta(days=8), Evidence(tags_failed=True), POLICY, Action.USAGE_UNKNOWN),
        (-timedelta(days=8), Evidence(exempt=False), POLICY, Pending.NEEDS_USAGE),
        (-timedelta(days=8), Evidence(exempt=False, usage=Usage(True, ("arn:x",))), POLICY, Action.IN_USE),
        (-timedelta(days=8), Evidence(exempt=False, usage=Usage(False, ("arn:x",))), POLICY, Action.IN_USE),
        (-timedelta(days=8), Evidence(exempt=False, usage=Usage(False)), POLICY, Action.USAGE_UNKNOWN),
        (-timedelta(days=8), Evidence(exempt=False, usage=UNUSED), POLICY, Pending.DELETE),
        (
            -timedelta(days=8),
            Evidence(exempt=False, usage=UNUSED),
            Policy(grace_days=7, expiry_warning_days=30, dry_run=True),
            Action.WOULD_DELETE,
        ),
        (timedelta(0), Evidence(exempt=False, usage=UNUSED), Policy(0, 0, False), Pending.DELETE),
    ],
)
def test_each_branch_of_the_rule(
    expires_in: timedelta, evidence: Evidence, policy: Policy, expected: Action | Pending
) -> None:
    # Given a certificate and what is known about it / When decided / Then the expected outcome
    decision = decide(cert(expires_in), evidence, policy, NOW)
    assert decision.outcome == expected
    assert decision.reason


def test_expiring_soon_reason_says_when() -> None:
    decision = decide(cert(timedelta(days=12, hours=3)), Evidence(), POLICY, NOW)
    assert decision.reason == "expires in 12 days"


def test_grace_period_reason_says_how_long_ago_and_when_it_ends() -> None:
    decision = decide(cert(-timedelta(days=2, hours=5)), Evidence(), POLICY, NOW)
    assert decision.outcome is Action.GRACE_PERIOD
    assert decision.reason == (
        "expired 2 days ago; its 7-day grace period ends 2026-12-02 01:00 UTC, and the first run after that deletes "
        "it if unused"
    )
    assert decide(cert(-timedelta(days=1, hours=2)), Evidence(), POLICY, NOW).reason.startswith("expired 1 day ago;")
    assert decide(cert(-timedelta(hours=1)), Evidence(), POLICY, NOW).reason.startswith("expired 1 hour ago;")


evidence_strategy = st.builds(
    Evidence,
    exempt=st.none() | st.booleans(),
    tags_failed=st.booleans(),
    usage=st.none()
    | st.builds(Usage, complete=st.booleans(), used_by=st.lists(st.text(min_size=1), max_size=2).map(tuple)),
)


@given(
    expires_in_seconds=st.integers(min_value=-20 * 365 * 86400, max_value=20 * 365 * 86400),
    evidence=evidence_strategy,
    grace_days=st.integers(min_value=0, max_value=3650),
    warning_days=st.integers(min_value=0, max_value=3650),
    dry_run=st.booleans(),
)
def test_delete_only_when_expired_past_grace_unexempt_and_proven_unused(
    expires_in_seconds: int, evidence: Evidence, grace_days: int, warning_days: int, dry_run: bool
) -> None:
    certificate = cert(timedelta(seconds=expires_in_seconds))
    policy = Policy(grace_days=grace_days, expiry_warning_days=warning_days, dry_run=dry_run)

    decision = decide(certificate, evidence, policy, NOW)

    safe_to_delete = (
        NOW - certificate.expiration >= timedelta(days=grace_days)
        and evidence.exempt is False
        and not evidence.tags_failed
        and evidence.usage is not None
        and evidence.usage.complete
        and not evidence.usage.used_by
    )
    assert (decision.outcome is Pending.DELETE) == (safe_to_delete and not dry_run)
    assert (decision.outcome is Action.WOULD_DELETE) == (safe_to_delete and dry_run)
