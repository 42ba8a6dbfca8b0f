"""The summary: short subject, readable text, JSON per protocol, always under SNS's limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cert_cleanup import job
from cert_cleanup.models import (
    Action,
    Certificate,
    CertificateResult,
    DeleteAnswer,
    FailedLookup,
    RunResult,
    Searched,
    Skipped,
)
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
    # a run's subject that does not fit is cut, and says so: no count is left out silently
    every_kind = summary.subject(result([(action.value, action) for action in Action], errors=1, label="prod"))
    assert (
        every_kind
        == "INCIDENT: cert-cleanup 123456789012 (prod): 1 expired certificate in use, 1 deleted, 1 would del..."
    )


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


def test_the_json_for_machines_describes_the_whole_run_and_reads_back_as_it() -> None:
    run = result([(action.value, action) for action in Action], errors=1, label="prod")
    run.errors.append(FailedLookup("iam", "global", "ListServerCertificates", "Throttling", "slow down"))
    run.skipped = [Skipped("appsync", "ap-east-2", "AppSync is not offered there")]
    run.regions, run.regions_left_out = ["eu-west-1", "us-east-1"], ["ap-south-2"]
    run.finished_at = NOW + timedelta(seconds=42)
    run.warnings = ["AWS Config not re-evaluated"]
    run.compliance = {"rule": "iam-server-certificate-expiration-check", "started": True}
    run.security_hub = {"findings": 1, "workflow": "NOTIFIED"}
    run.told_because = ["1 certificate deleted"]
    deleted = next(index for index, row in enumerate(run.certificates) if row.action is Action.DELETED)
    run.certificates[deleted] = replace(
        run.certificates[deleted],
        archived_to="s3://archive/cert-cleanup/deleted.json",
        searched=Searched.COMPLETE,
        delete_answer=DeleteAnswer.GONE_ON_RETRY,
    )
    document = json.loads(json.dumps(run.as_dict()))
    back = RunResult.from_dict(document)
    assert back.as_dict() == document
    assert back.certificates == run.certificates
    assert (back.errors, back.skipped, back.failed, back.audience) == (run.errors, run.skipped, True, "people")
    assert [error.get("hint") is not None for error in document["errors"]] == [True, True]


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

    assert subject == "INCIDENT: cert-cleanup 123456789012 (prod): 2 expired certificates in use, 1 deleted"
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
    run.told_because = ["1 certificate deleted"]
    run.compliance = {"note": "AWS Config re-evaluates securityhub-iam-1 in us-east-1"}
    assert "Security Hub IAM.26: AWS Config re-evaluates securityhub-iam-1 in us-east-1." in summary.email_text(run)
    assert "You are told because: 1 certificate deleted." in summary.email_text(run)
    run.warnings = ["AWS Config StartConfigRulesEvaluation failed (AccessDenied: no)"]
    assert "Warning: AWS Config StartConfigRulesEvaluation failed (AccessDenied: no)." in summary.email_text(run)


def _dry(run: RunResult, because: str) -> RunResult:
    run.dry_run, run.dry_run_because = True, because
    return run


DEPLOYED_DRY = (
    "the function is deployed with DRY_RUN=true; to delete, deploy again with -c dryRun=false (or set DRY_RUN=false)"
)
KINDS: dict[str, tuple[Callable[[], RunResult], str, list[str]]] = {
    "deleted": (
        lambda: result([("gone", Action.DELETED), ("ok", Action.VALID)]),
        "cert-cleanup 123456789012: 1 deleted",
        ["IAM server certificate clean-up for account 123456789012, 2026-11-27 06:00 UTC.", "", "Deleted (1):"],
    ),
    "nothing to do": (
        lambda: result([("ok", Action.VALID)]),
        "cert-cleanup 123456789012: nothing to do",
        ["IAM server certificate clean-up for account 123456789012, 2026-11-27 06:00 UTC.", "", "Valid: 1. "],
    ),
    "incident": (
        lambda: result([("busy", Action.IN_USE)]),
        "INCIDENT: cert-cleanup 123456789012: 1 expired certificate in use",
        [
            "INCIDENT: 1 EXPIRED CERTIFICATE STILL IN USE. Clients of these resources see TLS errors now: replace the "
            "certificate on each resource; a later run deletes it once nothing uses it.",
            "  - busy (expired 2026-10-18",
        ],
    ),
    "dry run, deployed so": (
        lambda: _dry(result([("old", Action.WOULD_DELETE)]), DEPLOYED_DRY),
        "cert-cleanup DRY RUN 123456789012: 1 would delete",
        [
            "IAM server certificate clean-up for account 123456789012, 2026-11-27 06:00 UTC.",
            f"DRY RUN: nothing was deleted, because {DEPLOYED_DRY}.",
        ],
    ),
    "dry run, asked by the event": (
        lambda: _dry(result([("old", Action.WOULD_DELETE)]), 'the event asked for one ({"dry_run": true})'),
        "cert-cleanup DRY RUN 123456789012: 1 would delete",
        [
            "IAM server certificate clean-up for account 123456789012, 2026-11-27 06:00 UTC.",
            'DRY RUN: nothing was deleted, because the event asked for one ({"dry_run": true}).',
        ],
    ),
    "lookups failed": (
        lambda: result([("old", Action.USAGE_UNKNOWN)], errors=1),
        "cert-cleanup 123456789012: 1 unchecked, 1 lookup failed",
        [
            "IAM server certificate clean-up for account 123456789012, 2026-11-27 06:00 UTC.",
            "SOME LOOKUPS FAILED: nothing was deleted in this run (cert-cleanup fails closed). See 'Could not check'.",
        ],
    ),
}


def test_the_function_says_why_a_run_is_a_dry_run() -> None:
    assert job.dry_run_because(deployed=True, asked=False) == DEPLOYED_DRY
    assert job.dry_run_because(deployed=False, asked=True).startswith('the event asked for one ({"dry_run": true})')
    assert job.dry_run_because(deployed=False, asked=False) == ""


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_run_has_the_one_subject_shape_and_its_first_lines(kind: str) -> None:
    make, subject, first_lines = KINDS[kind]
    run = make()
    assert summary.subject(run) == subject
    lines = summary.email_text(run).splitlines()
    for index, expected in enumerate(first_lines):
        assert lines[index].startswith(expected), (index, lines[index])


def test_under_an_incident_subject_the_email_says_the_incident_is_why_a_person_is_told() -> None:
    run = result([("gone", Action.DELETED), ("busy", Action.IN_USE)])
    run.told_because = ["1 certificate deleted"]
    assert (
        "You are told because: 1 certificate deleted; 1 expired certificate still in use (the incident above)."
        in summary.email_text(run)
    )


def test_counts_agree_with_their_nouns() -> None:
    text = summary.email_text(result([("old", Action.USAGE_UNKNOWN)], errors=1))
    assert "(s)" not in text
    assert summary.subject(result([], errors=2)).endswith("2 lookups failed")


def test_a_long_finding_note_names_every_certificate_left_and_why() -> None:
    # Given a run leaving six expired certificates in use, each on three load balancers with long ARNs, and one exempt
    run = RunResult(run_id="r", account="123456789012", account_label=None, dry_run=False, started_at=NOW)
    for index in range(6):
        arn = f"arn:aws:iam::123456789012:server-certificate/shop-{index}"
        cert = Certificate(f"shop-{index}", f"ASCA{index}", arn, "/", NOW - timedelta(days=3))
        users = tuple(
            f"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-eu-{index}-{n}/50dc6c495c0c9188"
            for n in range(3)
        )
        run.certificates.append(CertificateResult(cert, Action.IN_USE, "expired and in use", users))
    exempt = Certificate("pinned", "ASCAP", "arn:aws:iam::123456789012:server-certificate/pinned", "/", NOW)
    run.certificates.append(CertificateResult(exempt, Action.EXEMPT, "exempt"))

    # When the note is written
    note = summary.finding_note(run)

    # Then it fits, and every certificate left is named with why (the ARNs shortened first, not the names dropped)
    assert len(note) <= 512
    for index in range(6):
        assert f"shop-{index}: in use" in note
    assert note.endswith("pinned: exempt by tag.")
