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
