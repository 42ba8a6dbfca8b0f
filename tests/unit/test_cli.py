"""The command-line tool: a readable scan, a confirmed run, clear errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cert_cleanup import cli
from tests.support import Fake

runner = CliRunner()


@pytest.fixture
def account(aws: Fake, monkeypatch: pytest.MonkeyPatch) -> Fake:
    aws.certificate("old", days=-30)
    aws.certificate("fresh", days=300)
    monkeypatch.setattr(cli, "AwsClients", lambda session=None: aws.clients)
    return aws


def test_scan_prints_a_table_and_deletes_nothing(account: Fake) -> None:
    outcome = runner.invoke(cli.app, ["scan", "--region", "us-east-1"])
    assert outcome.exit_code == 0, outcome.output
    assert "would_delete" in outcome.stdout
    assert "old" in outcome.stdout
    assert account.names_left() == {"old", "fresh"}


def test_scan_json(account: Fake) -> None:
    outcome = runner.invoke(cli.app, ["scan", "--region", "us-east-1", "--json"])
    document = json.loads(outcome.stdout)
    assert {row["name"]: row["action"] for row in document["certificates"]} == {"old": "would_delete", "fresh": "valid"}
    assert document["dry_run"] is True


def test_run_asks_and_a_no_deletes_nothing(account: Fake) -> None:
    outcome = runner.invoke(cli.app, ["run", "--region", "us-east-1"], input="n\n")
    assert outcome.exit_code == 1
    assert "Delete 1 certificate(s)?" in outcome.output
    assert account.names_left() == {"old", "fresh"}


def test_run_deletes_after_yes(account: Fake) -> None:
    outcome = runner.invoke(cli.app, ["run", "--region", "us-east-1"], input="y\n")
    assert outcome.exit_code == 0, outcome.output
    assert account.names_left() == {"fresh"}


def test_run_with_yes_does_not_ask(account: Fake) -> None:
    outcome = runner.invoke(cli.app, ["run", "--region", "us-east-1", "--yes"])
    assert outcome.exit_code == 0, outcome.output
    assert "Delete" not in outcome.output
    assert account.names_left() == {"fresh"}


def test_bad_option_is_named_and_nothing_happens(account: Fake) -> None:
    account.count_calls()
    outcome = runner.invoke(cli.app, ["run", "--region", "us-east-1", "--grace-days", "-4", "--yes"])
    assert outcome.exit_code == 2
    assert "GRACE_DAYS" in outcome.output
    assert sum(account.calls.values()) == 0
    assert account.names_left() == {"old", "fresh"}


def test_bad_region_is_named(account: Fake) -> None:
    outcome = runner.invoke(cli.app, ["scan", "--region", "Frankfurt"])
    assert outcome.exit_code == 2
    assert "REGIONS: not a region name: 'Frankfurt'" in outcome.output


def test_failed_lookup_exits_non_zero(account: Fake) -> None:
    account.fail("elb", "DescribeLoadBalancers", "AccessDenied", "denied")
    outcome = runner.invoke(cli.app, ["scan", "--region", "us-east-1"])
    assert outcome.exit_code == 1
    assert "usage_unknown" in outcome.stdout
    assert "lookup failed" in outcome.stdout


def test_scan_several_profiles_at_once_in_one_table(account: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two profiles (here both reach the same in-process account)
    opened: list[str] = []

    def session(profile_name: str | None = None, **_: object) -> object:
        opened.append(str(profile_name))
        return account.session

    monkeypatch.setattr("cert_cleanup.cli.boto3.Session", session)

    outcome = runner.invoke(cli.app, ["scan", "--region", "us-east-1", "--profile", "prod", "--profile", "dev"])

    assert outcome.exit_code == 0, outcome.output
    assert sorted(opened) == ["dev", "prod"]
    assert "IAM server certificates in 2 accounts" in outcome.stdout
    table_rows = [line for line in outcome.stdout.splitlines() if "│" in line and "would_delete" in line]
    assert len(table_rows) == 2
    assert outcome.stdout.count("123456789012: valid: 1, would_delete: 1") == 2


def test_scan_accounts_through_a_role(account: Fake) -> None:
    # Given moto's STS, which lets any caller assume any role
    outcome = runner.invoke(
        cli.app,
        ["scan", "-r", "us-east-1", "--account", "111111111111", "--account", "222222222222",
         "--role-name", "CertCleanupReadOnly", "--json"],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    documents = json.loads(outcome.stdout)
    assert len(documents) == 2
    assert all(document["dry_run"] for document in documents)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--account", "111111111111"], "--account needs --role-name"),
        (["--role-name", "Audit"], "--role-name needs at least one --account"),
        (["--account", "1234", "--role-name", "Audit"], "--account: not a 12-digit account id: '1234'"),
        (["--account", "111111111111", "--role-name", "bad role"], "--role-name: not an IAM role name"),
    ],
)
def test_bad_multi_account_options_are_named(account: Fake, arguments: list[str], message: str) -> None:
    account.count_calls()
    outcome = runner.invoke(cli.app, ["scan", *arguments])
    assert outcome.exit_code == 2
    assert message in outcome.output
    assert sum(account.calls.values()) == 0


def test_an_unreachable_account_is_reported_and_fails_the_scan(account: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given STS refuses the role (the fault is wired into the test's session)
    monkeypatch.setattr("cert_cleanup.cli.boto3.Session", lambda **_: account.session)
    account.fail("sts", "AssumeRole", "AccessDenied", "not allowed to assume")
    outcome = runner.invoke(
        cli.app, ["scan", "-r", "us-east-1", "--account", "111111111111", "--role-name", "Audit", "--json"]
    )
    assert outcome.exit_code == 1
    document = json.loads(outcome.stdout)
    assert document["errors"][0]["code"] == "AccessDenied"
    assert document["certificates"] == []
