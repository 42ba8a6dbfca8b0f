"""The command line: every way in keeps the function's promise, says what it does, and exits with a code
a pipeline can act on (docs/cli.md)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

import cert_cleanup
from cert_cleanup_cli import accounts
from cert_cleanup_cli import commands as cli
from cert_cleanup_cli import replace as replacing
from emulator import seed
from tests.support import Fake, every_call

runner = CliRunner()
BUCKET = "cli-archive"


@pytest.fixture
def account(aws: Fake, monkeypatch: pytest.MonkeyPatch) -> Fake:
    aws.certificate("old", days=-30)
    aws.certificate("fresh", days=300)
    aws.session.client("s3").create_bucket(Bucket=BUCKET)
    monkeypatch.setattr(accounts, "AwsClients", lambda session=None: aws.clients)
    monkeypatch.setattr(cli, "AwsClients", lambda session=None: aws.clients)
    monkeypatch.setattr(cli, "can_ask", lambda: True)  # a person at a terminal, unless a test says otherwise
    return aws


def said(outcome: Any) -> str:
    """What the command printed, as one line (a terminal wraps it at its width)."""
    return " ".join(outcome.output.split())


def invoke(arguments: list[str], **kwargs: Any) -> tuple[Any, int]:
    """The command's outcome, and how many AWS calls it made (any client of the process)."""
    with every_call() as calls:
        outcome = runner.invoke(cli.app, arguments, **kwargs)
    return outcome, sum(calls.values())


# --- scan ---------------------------------------------------------------------------------------------


def test_scan_prints_a_table_deletes_nothing_and_exits_4_while_an_expired_certificate_remains(account: Fake) -> None:
    outcome, _ = invoke(["scan"])
    assert outcome.exit_code == 4, outcome.output
    assert cli.ExitCode.EXPIRED_REMAIN.value == 4
    assert "would_delete" in outcome.stdout
    assert "old" in outcome.stdout
    assert account.names_left() == {"old", "fresh"}


def test_scan_json(account: Fake) -> None:
    outcome, _ = invoke(["scan", "--json"])
    document = json.loads(outcome.stdout)
    assert {row["name"]: row["action"] for row in document["certificates"]} == {"old": "would_delete", "fresh": "valid"}
    assert document["dry_run"] is True
    assert document["regions_left_out"] == []


def test_a_narrowed_scan_proves_nothing_unused_and_names_what_it_left_out(account: Fake) -> None:
    outcome, _ = invoke(["scan", "--region", "us-east-1", "--json"])
    document = json.loads(outcome.stdout)
    [old] = [row for row in document["certificates"] if row["name"] == "old"]
    assert old["action"] == "usage_unknown"
    assert old["reason"].startswith("expired; not proven unused: the search left out ")
    assert "eu-west-1" in document["regions_left_out"]
    assert document["regions"] == ["us-east-1"]
    assert outcome.exit_code == cli.ExitCode.EXPIRED_REMAIN


def test_nothing_needing_attention_exits_0(aws: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    aws.certificate("fresh", days=300)
    monkeypatch.setattr(accounts, "AwsClients", lambda session=None: aws.clients)
    outcome, _ = invoke(["scan"])
    assert outcome.exit_code == cli.ExitCode.OK.value == 0, outcome.output


def test_a_failed_lookup_exits_3_and_says_the_code_the_message_and_what_to_do(account: Fake) -> None:
    account.fail("elb", "DescribeLoadBalancers", "AccessDenied", "User is not authorized", region="eu-west-1")
    outcome, _ = invoke(["scan"])
    assert outcome.exit_code == cli.ExitCode.FAILED.value == 3
    assert "usage_unknown" in outcome.stdout
    assert "elb DescribeLoadBalancers in eu-west-1: AccessDenied: User is not authorized" in outcome.stdout
    assert "the role or credentials making the call lack this permission" in outcome.stdout


# --- run: it deletes, so it archives first and asks first ---------------------------------------------


def test_run_archives_each_certificate_before_deleting_it(account: Fake) -> None:
    outcome, _ = invoke(["run", "--archive-bucket", BUCKET, "--yes"])
    assert outcome.exit_code == cli.ExitCode.OK, outcome.output
    assert account.names_left() == {"fresh"}
    assert f"Deleted 1 certificate, each archived first to s3://{BUCKET}/cert-cleanup/123456789012/" in said(outcome)
    keys = [item["Key"] for item in account.session.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert [key.rsplit("/", 2)[1] for key in keys] == ["old"]


def test_run_takes_the_archive_bucket_from_the_environment(account: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_BUCKET", BUCKET)
    outcome, _ = invoke(["run", "--yes"])
    assert outcome.exit_code == cli.ExitCode.OK, outcome.output
    assert account.session.client("s3").list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1


def test_run_without_an_archive_refuses_before_any_aws_call(account: Fake) -> None:
    outcome, calls = invoke(["run", "--yes"])
    assert outcome.exit_code == cli.ExitCode.USAGE
    assert "pass --archive-bucket BUCKET (or set ARCHIVE_BUCKET), or --delete-without-archive" in said(outcome)
    assert calls == 0
    assert account.names_left() == {"old", "fresh"}


def test_run_deletes_without_an_archive_only_when_told_so_by_name(account: Fake) -> None:
    outcome, _ = invoke(["run", "--delete-without-archive", "--yes"])
    assert outcome.exit_code == cli.ExitCode.OK, outcome.output
    assert "Deleted 1 certificate without an archive (--delete-without-archive)." in said(outcome)
    assert account.names_left() == {"fresh"}
    both, calls = invoke(["run", "--delete-without-archive", "--archive-bucket", BUCKET, "--yes"])
    assert both.exit_code == cli.ExitCode.USAGE
    assert calls == 0


def test_run_asks_saying_where_the_archive_goes_and_a_no_deletes_nothing(account: Fake) -> None:
    outcome, _ = invoke(["run", "--archive-bucket", BUCKET], input="n\n")
    assert outcome.exit_code == cli.ExitCode.DECLINED
    assert f"Delete 1 certificate, each archived first to s3://{BUCKET}/cert-cleanup/123456789012/?" in said(outcome)
    assert account.names_left() == {"old", "fresh"}


def test_run_titles_its_look_before_the_question_a_preview_and_a_no_says_nothing_was_deleted(account: Fake) -> None:
    # When a person looks at what run would delete and answers no
    outcome, _ = invoke(["run", "--delete-without-archive"], input="n\n")
    # Then the table is a preview (not a dry run: the run has not happened), and the answer is acknowledged
    assert "IAM server certificates in 123456789012 (preview: nothing deleted yet)" in said(outcome)
    assert "123456789012 (dry run)" not in said(outcome)
    assert said(outcome).endswith("Nothing deleted.")
    assert "Aborted" not in said(outcome)
    assert outcome.exit_code == cli.ExitCode.DECLINED
    assert account.names_left() == {"old", "fresh"}


def test_run_asks_saying_there_is_no_archive_and_a_yes_deletes(account: Fake) -> None:
    outcome, _ = invoke(["run", "--delete-without-archive"], input="y\n")
    assert "Delete 1 certificate WITHOUT an archive (--delete-without-archive)?" in said(outcome)
    assert outcome.exit_code == cli.ExitCode.OK, outcome.output
    assert account.names_left() == {"fresh"}


def test_run_without_a_terminal_says_to_use_yes(account: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "can_ask", lambda: False)
    outcome, calls = invoke(["run", "--archive-bucket", BUCKET])
    assert outcome.exit_code == cli.ExitCode.USAGE
    assert "there is no terminal to ask on: pass --yes to delete" in said(outcome)
    assert "Aborted" not in said(outcome)
    assert calls == 0


def test_run_honours_dry_run(account: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRY_RUN", "true")
    outcome, _ = invoke(["run", "--yes", "--json"])
    assert "DRY_RUN=true: a dry run; nothing will be deleted." in said(outcome)
    assert account.names_left() == {"old", "fresh"}
    assert outcome.exit_code == cli.ExitCode.EXPIRED_REMAIN


def test_run_refuses_a_narrowed_search_before_any_aws_call(account: Fake) -> None:
    outcome, calls = invoke(["run", "--region", "us-east-1", "--archive-bucket", BUCKET, "--yes"])
    assert outcome.exit_code == cli.ExitCode.USAGE
    assert "--region: run deletes only after searching every region enabled for the account" in said(outcome)
    assert calls == 0
    assert account.names_left() == {"old", "fresh"}


# --- bad input: exit 2, named, before any AWS call ----------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "environment", "message"),
    [
        (
            ["run", "--grace-days", "-4", "--archive-bucket", BUCKET, "--yes"],
            {},
            "--grace-days: Input should be greater than or equal to 0",
        ),
        (["scan", "--region", "Frankfurt"], {}, "--region: not a region name: 'Frankfurt'"),
        (["scan", "--region", "cn-north-1"], {}, "--region cn-north-1: in partition aws-cn"),
        (["scan"], {"REGIONS": "eu-west-1"}, "REGIONS: no longer accepted"),
        (["scan"], {"GRACE_DAYS": "soon"}, "GRACE_DAYS (from the environment): must be a whole number"),
        (["run", "--archive-bucket", "Not_A_Bucket", "--yes"], {}, "--archive-bucket: must be an S3 bucket name"),
        (["scan", "--account", "111111111111"], {}, "--account needs --role-name"),
        (["scan", "--role-name", "Audit"], {}, "--role-name needs at least one --account"),
        (["scan", "--account", "1234", "--role-name", "Audit"], {}, "--account: not a 12-digit account id: '1234'"),
        (["scan", "--account", "111111111111", "--role-name", "bad role"], {}, "--role-name: not an IAM role name"),
    ],
)
def test_bad_input_is_named_and_nothing_is_called(
    account: Fake, monkeypatch: pytest.MonkeyPatch, arguments: list[str], environment: dict[str, str], message: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    outcome, calls = invoke(arguments)
    assert outcome.exit_code == cli.ExitCode.USAGE, outcome.output
    assert message in said(outcome)
    assert calls == 0
    assert account.names_left() == {"old", "fresh"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["run", "--profile", "a", "--profile", "b", "--delete-without-archive", "--yes"],
            "Invalid value for '--profile': given 2 times: give it once (for several accounts, `cert-cleanup scan` "
            "takes --profile",
        ),
        (
            ["run", "--grace-days", "1", "--grace-days", "2", "--delete-without-archive"],
            "Invalid value for '--grace-days': given 2 times: give it once",
        ),
        (
            ["run", "--archive-bucket", BUCKET, "--archive-bucket", "other", "--yes"],
            "Invalid value for '--archive-bucket': given 2 times: give it once",
        ),
        (
            ["scan", "--exempt-tag-key", "a", "--exempt-tag-key", "b"],
            "Invalid value for '--exempt-tag-key': given 2 times: give it once",
        ),
        (
            ["scan", "--account", "111111111111", "--role-name", "A", "--role-name", "B"],
            "Invalid value for '--role-name': given 2 times: give it once",
        ),
    ],
)
def test_a_single_value_option_given_twice_is_refused_before_any_aws_call(
    account: Fake, arguments: list[str], message: str
) -> None:
    # When an option that takes one value is given twice (Click would silently keep the last one)
    outcome, calls = invoke(arguments)
    # Then it is a usage error naming the option, and nothing was called or deleted
    assert outcome.exit_code == cli.ExitCode.USAGE, outcome.output
    assert message in said(outcome)
    assert calls == 0
    assert account.names_left() == {"old", "fresh"}


def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """A machine with no AWS credentials at all: none in the environment, the files or the instance metadata."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.parametrize("arguments", [["scan"], ["run", "--delete-without-archive"], ["replace", "--dry-run"]])
def test_no_credentials_is_said_first_and_no_table_is_drawn(
    aws: Fake, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, arguments: list[str]
) -> None:
    # Given a machine with no AWS credentials at all
    _no_credentials(monkeypatch, tmp_path)
    monkeypatch.setattr(cli, "can_ask", lambda: True)
    # When the command runs
    outcome = runner.invoke(cli.app, arguments, input="y\n")
    # Then the first thing said is that the account was not reached, and why; no (empty) table, no question
    assert said(outcome).startswith("Not reached: your credentials; nothing was read or deleted.")
    assert "Unable to locate credentials" in said(outcome)
    assert "IAM server certificates in" not in said(outcome)
    assert "Delete" not in said(outcome)
    assert outcome.exit_code == cli.ExitCode.USAGE  # a setting, like a missing profile: nothing was sent


def test_an_undo_with_no_credentials_is_a_setting_too(
    aws: Fake, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    _no_credentials(monkeypatch, tmp_path)
    record = tmp_path / "r.json"
    iam = "arn:aws:iam::123456789012:server-certificate/"
    listener = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2"
    change = replacing.Swap("elbv2-default", "eu-west-1", listener, listener, iam + "old", iam + "new", "", "")
    changes = [{**asdict(change), "state": "done"}]
    record.write_text(json.dumps({"kind": replacing.RECORD_KIND, "account": "123456789012", "changes": changes}))
    outcome = runner.invoke(cli.app, ["replace", "--undo", str(record), "--dry-run"])
    assert outcome.exit_code == cli.ExitCode.USAGE, outcome.output
    assert "no AWS credentials were found (Unable to locate credentials); nothing was changed" in said(outcome)


def test_a_missing_profile_is_named_with_the_sdk_message(account: Fake) -> None:
    outcome, calls = invoke(["scan", "--profile", "nope"])
    assert outcome.exit_code == cli.ExitCode.USAGE
    assert "--profile nope: The config profile (nope) could not be found" in said(outcome)
    assert calls == 0


# --- help and version ---------------------------------------------------------------------------------


def test_help_is_plain_text_and_flags_take_no_value() -> None:
    for command in ([], ["scan"], ["run"]):
        text = runner.invoke(cli.app, [*command, "--help"]).output
        for markup in ("``", "[/", "<bool>", "BOOLEAN"):
            assert markup not in text, (command, markup)
    run_help = runner.invoke(cli.app, ["run", "--help"]).output
    assert "-y, --yes " in run_help
    assert "--archive-bucket BUCKET" in run_help
    assert "[default: (GRACE_DAYS or 0)]" in run_help
    assert "--no-delete-without-archive" not in run_help
    assert "--region" not in run_help  # run never narrows its search


def test_version() -> None:
    outcome = runner.invoke(cli.app, ["--version"])
    assert outcome.exit_code == 0
    assert outcome.output == f"cert-cleanup {cert_cleanup.__version__}\n"


# --- several accounts ---------------------------------------------------------------------------------


def test_scan_several_profiles_at_once_in_one_table(account: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two profiles (here both reach the same in-process account)
    opened: list[str] = []

    def session(profile_name: str | None = None, **_: object) -> object:
        opened.append(str(profile_name))
        return account.session

    monkeypatch.setattr("cert_cleanup_cli.accounts.boto3.Session", session)

    outcome, _ = invoke(["scan", "--profile", "prod", "--profile", "dev"])

    assert outcome.exit_code == cli.ExitCode.EXPIRED_REMAIN, outcome.output
    assert {"dev", "prod"} <= set(opened)
    assert "IAM server certificates in 2 accounts" in outcome.stdout
    table_rows = [line for line in outcome.stdout.splitlines() if "│" in line and "would_delete" in line]
    assert len(table_rows) == 2
    assert outcome.stdout.count("123456789012: valid: 1, would_delete: 1") == 2


def test_scan_accounts_through_a_role(account: Fake) -> None:
    # Given moto's STS, which lets any caller assume any role
    outcome, _ = invoke(
        [
            "scan",
            "--account",
            "111111111111",
            "--account",
            "222222222222",
            "--role-name",
            "CertCleanupReadOnly",
            "--json",
        ]
    )
    documents = json.loads(outcome.stdout)
    assert len(documents) == 2
    assert all(document["dry_run"] for document in documents)
    assert outcome.exit_code == cli.ExitCode.EXPIRED_REMAIN, outcome.output


def test_an_unreachable_account_is_reported_with_aws_message_and_fails_the_scan(
    account: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cert_cleanup_cli.accounts.boto3.Session", lambda **_: account.session)
    account.fail("sts", "AssumeRole", "AccessDenied", "not allowed to assume")
    outcome, _ = invoke(["scan", "--account", "111111111111", "--role-name", "Audit", "--json"])
    assert outcome.exit_code == cli.ExitCode.FAILED
    document = json.loads(outcome.stdout)
    assert (document["errors"][0]["code"], document["errors"][0]["message"]) == (
        "AccessDenied",
        "not allowed to assume",
    )
    assert document["certificates"] == []


def test_run_deletes_only_what_was_shown_and_approved(account: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a certificate that expires into the account while the prompt waits for an answer
    def yes_and_meanwhile(*_: Any, **__: Any) -> bool:
        account.certificate("arrived-meanwhile", days=-10)
        return True

    monkeypatch.setattr("cert_cleanup_cli.commands.typer.confirm", yes_and_meanwhile)

    outcome, _ = invoke(["run", "--delete-without-archive", "--json"])

    # Then only the certificate shown was deleted; the newcomer is kept and said so
    assert account.names_left() == {"fresh", "arrived-meanwhile"}
    document = json.loads(outcome.stdout)
    [newcomer] = [row for row in document["certificates"] if row["name"] == "arrived-meanwhile"]
    assert newcomer["action"] == "would_delete"
    assert newcomer["reason"].endswith("not deleted: not among the certificates you approved")
    assert outcome.exit_code == cli.ExitCode.EXPIRED_REMAIN


# --- what a person reads --------------------------------------------------------------------------------


def test_the_function_logs_go_to_stderr_and_the_json_stays_parseable(
    account: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given every log line of the run asked for
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    account.fail("elb", "DescribeLoadBalancers", "AccessDenied", "User is not authorized", region="eu-west-1")
    outcome, _ = invoke(["scan", "--json"])
    document = json.loads(outcome.stdout)  # stdout is the JSON alone
    assert document["errors"][0]["operation"] == "DescribeLoadBalancers"
    assert '"level":"' in outcome.stderr  # the log lines went to stderr


def test_a_narrowed_scan_table_names_the_regions_it_left_out(account: Fake) -> None:
    outcome, _ = invoke(["scan", "--region", "us-east-1"])
    assert "Left out by --region:" in said(outcome)
    assert "eu-west-1" in said(outcome).split("Left out by --region:")[1]


def test_an_account_not_reached_says_so_in_the_table(account: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cert_cleanup_cli.accounts.boto3.Session", lambda **_: account.session)
    account.fail("sts", "AssumeRole", "AccessDenied", "not allowed to assume")
    outcome, _ = invoke(["scan", "--account", "111111111111", "--account", "222222222222", "--role-name", "Audit"])
    assert outcome.exit_code == cli.ExitCode.FAILED
    assert said(outcome).count("not reached") == 2
    assert "failed: sts AssumeRole in global: AccessDenied: not allowed to assume" in said(outcome)


def test_the_question_says_which_settings_decided(account: Fake) -> None:
    outcome, _ = invoke(["run", "--delete-without-archive", "--grace-days", "7"], input="n\n")
    assert "Settings used: grace days 7, exempt tag cert-cleanup:exempt=true" in said(outcome)
    assert "a deployed function's settings may differ" in said(outcome)
    assert account.names_left() == {"old", "fresh"}


def test_every_help_ends_with_its_exit_codes() -> None:
    for command in ([], ["scan"], ["run"]):
        text = " ".join(runner.invoke(cli.app, [*command, "--help"]).output.split())
        assert "Exit codes: 0 nothing needs attention;" in text, command
        assert ("1 you answered no" in text) is (command != ["scan"]), command  # scan never asks


@pytest.mark.parametrize(("columns", "table"), [("80", False), ("160", True)])
def test_a_narrow_terminal_gets_one_short_block_per_certificate(
    account: Fake, monkeypatch: pytest.MonkeyPatch, columns: str, table: bool
) -> None:
    used = account.certificate("a-rather-long-certificate-name-2025", days=-30)["Arn"]
    seed.classic_elb(account.session, "eu-west-1", "a-load-balancer-with-a-long-name", used)
    monkeypatch.setattr(cli, "stdout", Console(width=int(columns)))  # a terminal of that width
    outcome, _ = invoke(["scan"])
    lines = outcome.stdout.splitlines()
    assert any("┃" in line for line in lines) is table  # the table's box drawing, or none
    if not table:
        assert max(len(line) for line in lines if "used by" not in line) <= 80
        [head] = [line for line in lines if line.startswith("a-rather-long-certificate-name-2025")]
        assert "in_use" in head
        assert any(line.strip().startswith("used by elasticloadbalancing eu-west-1") for line in lines)


# --- run and the deployed function's run lease --------------------------------------------------------


def _held_by_the_function(aws: Fake) -> str:
    """The lease table with the deployed function's run holding it now."""
    from datetime import UTC, datetime, timedelta

    from cert_cleanup.aws import lease

    table = seed.lease_table(aws.session)
    now = datetime.now(UTC)
    lease.acquire(
        aws.session.client("dynamodb"),
        table,
        run_id="scheduled-run",
        trigger="schedule",
        now=now,
        until=now + timedelta(minutes=10),
    )
    return table


def test_run_deletes_nothing_while_the_function_holds_the_lease_and_says_so(account: Fake) -> None:
    # Given the function running now, its lease named by the environment
    table = _held_by_the_function(account)
    # When a person runs with --yes
    outcome, _ = invoke(["run", "--yes", "--archive-bucket", BUCKET], env={"CERT_CLEANUP_LEASE_TABLE": table})
    # Then nothing is deleted, the exit code says it failed, and the person reads which run holds it
    assert outcome.exit_code == cli.ExitCode.FAILED, outcome.output
    assert "another cert-cleanup run is in progress: run scheduled-run (started by schedule" in said(outcome)
    assert "Not run: " in said(outcome)
    assert "Counts: no certificates" not in said(outcome)  # no empty table that reads as an empty account
    assert account.names_left() == {"old", "fresh"}


def test_run_holds_the_lease_it_is_given_and_releases_it(account: Fake) -> None:
    table = seed.lease_table(account.session)
    outcome, _ = invoke(["run", "--yes", "--archive-bucket", BUCKET, "--lease-table", table])
    assert outcome.exit_code == cli.ExitCode.OK, outcome.output
    assert account.names_left() == {"fresh"}
    item = account.session.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "run"}})["Item"]
    assert "holder" not in item  # released
    assert "last_started" in item


def test_run_says_plainly_when_it_cannot_find_the_lease(account: Fake) -> None:
    # Given no --lease-table and no CertCleanup stack in the region
    outcome, _ = invoke(["run", "--yes", "--archive-bucket", BUCKET], env={"CERT_CLEANUP_LEASE_TABLE": ""})
    # Then it says so, and runs as before (each certificate is still deleted once)
    assert (
        "the deployed function's run lease was not found (no stack CertCleanup in us-east-1, and no table in "
        "us-east-1 named like one (holding RunLease) is tagged as one)" in said(outcome)
    )
    assert outcome.exit_code == cli.ExitCode.OK, outcome.output
    assert account.names_left() == {"fresh"}


def test_a_person_hears_the_lease_was_not_found_before_being_asked(account: Fake) -> None:
    outcome, _ = invoke(["run", "--archive-bucket", BUCKET], input="y\n", env={"CERT_CLEANUP_LEASE_TABLE": ""})
    text = said(outcome)
    assert outcome.exit_code == cli.ExitCode.OK, outcome.output
    note = text.index("the deployed function's run lease was not found")
    assert note < text.index("Delete 1 certificate")  # said before the question, so the answer can weigh it
    assert text.count("run lease was not found") == 1  # and not again after it
    assert account.names_left() == {"fresh"}


def test_a_person_is_not_asked_while_the_function_holds_the_lease(account: Fake) -> None:
    table = _held_by_the_function(account)
    outcome, _ = invoke(["run", "--archive-bucket", BUCKET], input="y\n", env={"CERT_CLEANUP_LEASE_TABLE": table})
    assert outcome.exit_code == cli.ExitCode.FAILED, outcome.output
    assert "Not run: another cert-cleanup run is in progress: run scheduled-run (started by schedule" in said(outcome)
    assert "Delete 1 certificate" not in said(outcome)  # no question whose answer cannot be carried out
    assert account.names_left() == {"old", "fresh"}


def test_a_lease_in_a_users_own_stack_is_found_by_its_tag_and_held(account: Fake) -> None:
    # Given the construct in a user's stack (not named CertCleanup), its table holding the function's run; beside it
    # a table named like a lease but not tagged as one
    from datetime import UTC, datetime, timedelta

    from cert_cleanup.aws import lease

    ddb = account.session.client("dynamodb")
    seed.lease_table(account.session, "Platform-CertsRunLease1A2B3C4D-9XYZ")
    ddb.create_table(
        TableName="Other-RunLeaseOfSomethingElse",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    now = datetime.now(UTC)
    table, until = "Platform-CertsRunLease1A2B3C4D-9XYZ", now + timedelta(minutes=9)
    lease.acquire(ddb, table, run_id="fn", trigger="schedule", now=now, until=until)
    # When a person runs with no --lease-table
    outcome, _ = invoke(["run", "--yes", "--archive-bucket", BUCKET], env={"CERT_CLEANUP_LEASE_TABLE": ""})
    # Then the tagged table is the lease: held, so nothing is deleted
    assert outcome.exit_code == cli.ExitCode.FAILED, outcome.output
    assert "another cert-cleanup run is in progress: run fn (started by schedule" in said(outcome)
    assert account.names_left() == {"old", "fresh"}


def test_two_tagged_leases_are_named_and_neither_is_guessed(account: Fake) -> None:
    seed.lease_table(account.session, "A-CertCleanupRunLease11-1")
    seed.lease_table(account.session, "B-CertCleanup-run-lease-2")  # named by hand: spelt with hyphens
    outcome, _ = invoke(["run", "--yes", "--archive-bucket", BUCKET], env={"CERT_CLEANUP_LEASE_TABLE": ""})
    assert (
        "run lease is not known: 2 tables in us-east-1 are tagged as one (A-CertCleanupRunLease11-1, "
        "B-CertCleanup-run-lease-2) and none is guessed" in said(outcome)
    )
    assert "pass --lease-table (or CERT_CLEANUP_LEASE_TABLE) to name it" in said(outcome)
    assert "not found" not in said(outcome)


def test_a_bad_lease_table_is_refused_before_any_aws_call(account: Fake) -> None:
    outcome, calls = invoke(["run", "--yes", "--archive-bucket", BUCKET, "--lease-table", "my table"])
    assert outcome.exit_code == cli.ExitCode.USAGE
    assert "--lease-table: not a DynamoDB table name: 'my table'" in said(outcome)
    assert calls == 0
