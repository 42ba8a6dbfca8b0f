"""The summary: short subject, readable text, JSON per protocol, always under SNS's limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cert_cleanup.models import Action, Certificate, CertificateResult, FailedLookup, RunResult
from cert_cleanup.notify import message as summary

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


def result(rows: list[tuple[str, Action]], *, errors: int = 0, label: str | None = None) -> RunResult:
    run = RunResult(run_id="run-1", account="123456789012", account_label=label, dry_run=False, started_at=NOW)
    for name, action in rows:
        cert = Certificate(
            name=name,
            id="ASCA" + name.upper()[:17],
            arn=f"arn:aws:iam::123456789012:server-certificate/{name}",
            path="/",
            expiration=NOW - timedelta(days=40),
        )
        used_by = (
            (f"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/{name}",)
            if action is Action.IN_USE
            else ()
        )
        run.certificates.append(CertificateResult(cert, action, f"reason for {name}", used_by))
    run.errors = [
        FailedLookup("elbv2", f"region-{i}", "DescribeLoadBalancers", "AccessDenied", "no") for i in range(errors)
    ]
    return run


def test_subject_names_account_and_counts() -> None:
    run = result([("a", Action.DELETED), ("b", Action.DELETED), ("c", Action.EXPIRING_SOON)], label="prod-edge")
    assert summary.subject(run) == "cert-cleanup 123456789012 (prod-edge): 2 deleted, 1 expiring soon"


def test_subject_stays_under_100_ascii_characters() -> None:
    rows = [(f"n{i}", action) for i, action in enumerate(Action) for _ in range(1)]
    run = result(rows * 300, errors=1000, label="a-very-long-account-alias-ééé-with-more-text-than-fits")
    subject = summary.subject(run)
    assert len(subject) < 100
    assert subject.isascii()


def test_email_says_what_went_what_stayed_and_why() -> None:
    run = result(
        [
            ("gone", Action.DELETED),
            ("busy", Action.IN_USE),
            ("soon", Action.EXPIRING_SOON),
            ("unk", Action.USAGE_UNKNOWN),
        ],
        errors=1,
    )
    text = summary.email_text(run)
    assert "SOME LOOKUPS FAILED: nothing was deleted in this run" in text
    assert "Deleted (1):\n  - gone (expired 2026-10-18" in text
    assert "loadbalancer/busy" in text
    assert "Could not check, kept (1):\n  - unk" in text
    assert "elbv2 DescribeLoadBalancers in region-0: AccessDenied" in text
    assert "Expiring soon: renew or replace (1):\n  - soon" in text


def test_long_sections_are_cut_with_a_count() -> None:
    run = result([(f"cert-{i:04d}", Action.DELETED) for i in range(100)])
    text = summary.email_text(run)
    assert "Deleted (100):" in text
    assert "... and 60 more (see the JSON result)" in text


def test_message_has_text_for_people_and_json_for_machines() -> None:
    run = result([("gone", Action.DELETED)])
    message = json.loads(summary.sns_message(run))
    assert set(message) == {"default", "email", "sqs", "lambda", "https", "http", "firehose"}
    assert message["email"] == message["default"]
    machine = json.loads(message["sqs"])
    assert machine["account"] == "123456789012"
    assert machine["certificates"][0]["action"] == "deleted"


def test_quota_scale_account_is_summarised_under_256_kb() -> None:
    # Given 1000 certificates with long names, many of them needing a person, and many errors
    name = "x" * 120
    rows = [
        (f"{name}-{i}", [Action.VALID, Action.IN_USE, Action.USAGE_UNKNOWN, Action.EXPIRING_SOON][i % 4])
        for i in range(1000)
    ]
    run = result(rows, errors=200)

    message = summary.sns_message(run)

    assert len(message.encode()) <= 256 * 1024
    machine = json.loads(json.loads(message)["lambda"])
    assert machine["certificates_summarised"] is True
    assert machine["certificates_total"] == 1000
    assert machine["counts"]["usage_unknown"] == 250
    assert all(row["action"] != "valid" for row in machine["certificates"])


def test_small_run_is_not_summarised() -> None:
    machine = json.loads(json.loads(summary.sns_message(result([("a", Action.VALID)])))["sqs"])
    assert "certificates_summarised" not in machine
    assert len(machine["certificates"]) == 1


def test_an_expired_certificate_in_use_is_an_incident_that_leads_subject_and_email() -> None:
    run = result([("gone", Action.DELETED), ("busy", Action.IN_USE), ("busier", Action.IN_USE)], label="prod")

    subject = summary.subject(run)
    text = summary.email_text(run)

    assert subject == "INCIDENT: 2 expired certificates in use - cert-cleanup 123456789012 (prod): 1 deleted"
    assert text.startswith("INCIDENT: 2 EXPIRED CERTIFICATES STILL IN USE. Clients of these resources see TLS errors")
    first_section = text.split("\n\n")[0]
    assert "  - busy (expired 2026-10-18" in first_section
    assert "loadbalancer/busy" in first_section
    assert "  - busier" in first_section
    assert "gone" not in first_section


def test_without_an_incident_the_subject_says_what_happened() -> None:
    assert summary.subject(result([("a", Action.VALID)])) == "cert-cleanup 123456789012: nothing to do"
    assert not summary.email_text(result([("a", Action.DELETED)])).startswith("INCIDENT")


def test_the_email_says_why_a_person_is_told_and_what_security_hub_will_show() -> None:
    run = result([("gone", Action.DELETED)])
    run.told_because = ["1 certificate(s) deleted"]
    run.compliance = {"note": "AWS Config re-evaluates securityhub-iam-1 in us-east-1"}
    assert "Security Hub IAM.26: AWS Config re-evaluates securityhub-iam-1 in us-east-1." in summary.email_text(run)
    assert "You are told because: 1 certificate(s) deleted." in summary.email_text(run)
    run.warnings = ["AWS Config StartConfigRulesEvaluation failed (AccessDenied: no)"]
    assert "Warning: AWS Config StartConfigRulesEvaluation failed (AccessDenied: no)." in summary.email_text(run)
