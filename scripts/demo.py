"""The demo: a local AWS emulator, a believable account, a dry run, a real run, two weeks of daily
runs (which of them email a person), and an organization digest.

Run with ``make demo``. Everything happens on 127.0.0.1; the emulator is stopped at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rich.console import Console
from rich.rule import Rule

from emulator.process import Emulator, running
from emulator.seed import iam26_finding, scheduled_event, seed_demo_account

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:cert-cleanup"
SCHEDULED_EVENT = scheduled_event(ACCOUNT)


def main() -> int:
    console = Console(width=None if sys.stdout.isatty() else 160)
    with running() as emulator:
        console.print(f"Emulator (moto + cert-cleanup's AWS-behaviour patches) at {emulator.url}")
        # IAM's safety net on, as it often is in AWS (never promised): a delete of a bound certificate is refused
        emulator.settings(refuse_bound_deletes=True)
        os.environ.update(emulator.environment())
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

        import boto3

        session = boto3.Session(region_name="us-east-1")
        seeded = seed_demo_account(session, datetime.now(UTC))
        console.print(Rule("The account"))
        for name in seeded.certificates:
            console.print(f"  {name:<20} used by: {seeded.uses[name]}", highlight=False)

        # a daily schedule at a fixed time, as cron(0 6 * * ? *): the run below is the first after the deploy
        os.environ.update(
            {
                "SNS_TOPIC_ARN": seeded.topic_arn,
                "ARCHIVE_BUCKET": seeded.bucket,
                "SCHEDULE_KIND": "cron",
                "LEASE_TABLE": seeded.lease_table,
            }
        )

        from cert_cleanup.config import names
        from cert_cleanup.handler import lambda_handler
        from cert_cleanup.wording import plural
        from cert_cleanup_cli.render import table as render_table

        # Security Hub's IAM.26 rule, as Security Hub names it; a mailbox with the email subscriptions' filter
        session.client("config").put_config_rule(
            ConfigRule={
                "ConfigRuleName": "securityhub-iam-server-certificate-expiration-check-1a2b3c",
                "Source": {"Owner": "AWS", "SourceIdentifier": names.CONFIG_RULE_IDENTIFIER},
                "MaximumExecutionFrequency": "TwentyFour_Hours",
            }
        )
        mailbox = subscribe_mailbox(session, seeded.topic_arn, names.PEOPLE_FILTER_POLICY)
        # Security Hub on, with the account's IAM.26 finding FAILED (two expired certificates are still there)
        hub = session.client("securityhub")
        hub.enable_security_hub()
        finding = iam26_finding(ACCOUNT)
        hub.batch_import_findings(Findings=[finding])  # type: ignore[list-item]

        context = SimpleNamespace(
            function_name="cert-cleanup",
            memory_limit_in_mb=256,
            invoked_function_arn=FUNCTION_ARN,
            aws_request_id="demo-request",
        )

        console.print(Rule('1. Dry run: invoke with {"dry_run": true}'))
        preview = lambda_handler({"dry_run": True}, context)
        render_table(preview, console)

        console.print(Rule("2. Scheduled run: deletes what was proven unused"))
        outcome = lambda_handler(SCHEDULED_EVENT, context)
        render_table(outcome, console)

        console.print(Rule("3. The email the topic's subscribers received"))
        message = emulator.sns_messages(seeded.topic_arn)[-1]
        console.print(f"Subject: {message['subject']}\n")
        console.print(json.loads(message["message"])["email"], markup=False, highlight=False)
        evaluations = sum(row[3] for row in emulator.calls()["calls"] if row[2] == "StartConfigRulesEvaluation")
        left = sum(outcome["counts"][action] for action in ("in_use", "exempt", "grace_period", "usage_unknown"))
        console.print(
            f"\nAWS Config asked to re-evaluate IAM.26's rule: {plural(evaluations, 'StartConfigRulesEvaluation call')}"
            " in us-east-1. IAM.26 turns PASSED once no expired certificate is left: "
            + (f"{plural(left, 'expired certificate')} still here keep it FAILED." if left else "none is left."),
            highlight=False,
        )
        drain(session, mailbox)

        console.print(Rule("The account's Security Hub IAM.26 finding, before and after the run"))
        [after] = hub.get_findings(Filters={"Id": [{"Value": finding["Id"], "Comparison": "EQUALS"}]})["Findings"]
        console.print(f"  workflow: {finding['Workflow']['Status']} -> {after['Workflow']['Status']}", highlight=False)
        console.print(f"  note by {after['Note']['UpdatedBy']}: {after['Note']['Text']}", highlight=False)

        console.print(Rule("4. What is left in IAM"))
        left = session.client("iam").list_server_certificates()["ServerCertificateMetadataList"]
        console.print("  " + ", ".join(sorted(item["ServerCertificateName"] for item in left)))
        archived = session.client("s3").list_objects_v2(Bucket=seeded.bucket).get("Contents", [])
        console.print(f"  archived before deletion: {', '.join(obj['Key'] for obj in archived) or 'nothing'}")
        console.print(Rule("5. The 14 days after that run: one scheduled run a day (simulated clock); who is told"))
        days(console, session, mailbox, context)

        console.print(Rule("6. Organization: three members report to a central topic, one digest email a day"))
        organization(console, session, context, emulator)

        console.print(Rule("7. From incident to fix: cert-cleanup replace swaps the named successor in, on request"))
        replace_and_run_again(console, session, seeded, context)
    console.print("Emulator stopped.")
    return 0


def subscribe_mailbox(session: Any, topic_arn: str, filter_policy: dict[str, object]) -> str:
    """An SQS queue subscribed like an email address (same filter policy): what a mailbox would receive."""
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName=f"mailbox-{topic_arn.rsplit(':', 1)[1]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {"RawMessageDelivery": "true", "FilterPolicy": json.dumps(filter_policy)}
    session.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attributes)
    return str(url)


def drain(session: Any, url: str) -> list[str]:
    sqs = session.client("sqs")
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def days(console: Console, session: Any, mailbox: str, context: Any) -> None:
    from rich.table import Table

    from cert_cleanup import job

    table = Table("day", "kept in use", "expiring soon", "deleted", "emailed a person?", "why")
    start = datetime.now(UTC)
    for day in range(1, 15):
        document = job.handle(SCHEDULED_EVENT, context, now=start + timedelta(days=day))
        mail = drain(session, mailbox)
        counts = document["counts"]
        why = "; ".join(document["told_because"])
        table.add_row(
            str(day),
            str(counts["in_use"]),
            str(counts["expiring_soon"]),
            str(counts["deleted"]),
            "yes" if mail else "no (machines only)",
            why,
        )
    console.print(table)


def own_bus(account: str) -> str:
    return f"arn:aws:events:us-east-1:{account}:event-bus/default"


def organization(console: Console, session: Any, context: Any, emulator: Emulator) -> None:
    import boto3

    from cert_cleanup import job
    from cert_cleanup.aws.clients import AwsClients
    from cert_cleanup.config import names
    from cert_cleanup.config.settings import DigestSettings, Settings
    from cert_cleanup.org import digest
    from cert_cleanup.org import job as digest_job
    from emulator.seed import upload

    sns, sqs, s3 = session.client("sns"), session.client("sqs"), session.client("s3")
    topic = sns.create_topic(Name="cert-cleanup-central")["TopicArn"]
    results = sqs.create_queue(QueueName="cert-cleanup-results")["QueueUrl"]

    class Bus:
        """Each member's result on its way to the digest's queue: the event the central bus's rule delivers, with the
        sender's account. (moto stamps a forwarded event with the receiving account: emulator/eventbridge.py.)"""

        def __init__(self, sender: str) -> None:
            self.sender = sender

        def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            for entry in Entries:
                body = digest.event_body(self.sender, json.loads(entry["Detail"]))
                sqs.send_message(QueueUrl=results, MessageBody=body)
            return {"FailedEntryCount": 0, "Entries": [{"EventId": "demo"} for _ in Entries]}

    class MemberClients(AwsClients):
        def __init__(self, member_session: Any, sender: str) -> None:
            super().__init__(member_session)
            self.bus = Bus(sender)

        def client(self, service: str, region: str | None = None) -> Any:
            return self.bus if service == "events" else super().client(service, region)

    mailbox = subscribe_mailbox(session, topic, names.PEOPLE_FILTER_POLICY)
    s3.create_bucket(Bucket="cert-cleanup-reports")
    now = datetime.now(UTC)
    sts = session.client("sts")
    for account, label, certificates in (
        ("111111111111", "payments", [("payments-2024", -60), ("payments-2027", 500)]),
        ("222222222222", "sandbox", [("sandbox-2026", 400)]),
    ):
        credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/member", RoleSessionName="demo")[
            "Credentials"
        ]
        member = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name="us-east-1",
        )
        for name, expires_in in certificates:
            upload(member.client("iam"), name, now + timedelta(days=expires_in))
        settings = Settings.build(
            SNS_TOPIC_ARN=topic, RESULTS_BUS_ARN=own_bus(account), TELL_PEOPLE="never", ACCOUNT_LABEL=label
        )
        member_context = SimpleNamespace(
            **{**vars(context), "invoked_function_arn": f"arn:aws:lambda:us-east-1:{account}:function:cc"}
        )
        job.handle(SCHEDULED_EVENT, member_context, settings=settings, clients=MemberClients(member, account))
    home_account = context.invoked_function_arn.split(":")[4]
    home = Settings.build(
        SNS_TOPIC_ARN=topic, RESULTS_BUS_ARN=own_bus(home_account), TELL_PEOPLE="never", ACCOUNT_LABEL="web"
    )
    job.handle(SCHEDULED_EVENT, context, settings=home, clients=MemberClients(session, home_account))
    console.print(f"Members' emails to people: {len(drain(session, mailbox))} (TELL_PEOPLE=never in members)")

    digest_settings = DigestSettings.model_validate(
        {
            names.ENV_DIGEST_QUEUE_URL: results,
            names.ENV_REPORT_BUCKET: "cert-cleanup-reports",
            names.ENV_SNS_TOPIC_ARN: topic,
        }
    )
    digest_job.send(digest_settings, AwsClients(session))
    [email] = drain(session, mailbox)
    [sent] = emulator.sns_messages(topic)[-1:]
    console.print(f"The one digest email. Subject: {sent['subject']}\n", highlight=False)
    console.print(email, markup=False, highlight=False)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="cert-cleanup-reports").get("Contents", [])]
    console.print(f"\nReport objects: {', '.join(keys)}")


def replace_and_run_again(console: Console, session: Any, seeded: Any, context: Any) -> None:
    """``cert-cleanup replace --yes`` with the emulator's credentials (a person's, in real life), then the next
    scheduled run: the replaced certificate is unused, so it is deleted."""
    from cert_cleanup.handler import lambda_handler

    record = Path(tempfile.mkdtemp()) / "replace-record.json"
    command = [sys.executable, "-m", "cert_cleanup_cli.commands", "replace", "--yes", "--record", str(record)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, check=False)  # noqa: S603
    console.print(f"$ cert-cleanup replace --yes --record {record.name}", highlight=False)
    console.print(done.stdout.rstrip(), markup=False, highlight=False)
    console.print(
        f"(exit code {done.returncode}: CloudFront still serves an expired certificate, with no successor yet)",
        highlight=False,
    )
    changes = json.loads(record.read_text())["changes"]
    console.print(f"Record: {', '.join(change['kind'] + ' ' + change['state'] for change in changes)}", highlight=False)
    sni, cdn = seeded.named["sni"], seeded.named["cloudfront"]
    listener = seeded.users[sni]
    elbv2 = session.client("elbv2", region_name="eu-west-1")
    held = elbv2.describe_listener_certificates(ListenerArn=listener)["Certificates"]
    console.print(
        f"The ALB's listener now serves: {', '.join(cert['CertificateArn'] for cert in held)}", highlight=False
    )
    outcome = lambda_handler(SCHEDULED_EVENT, context)
    actions = {row["name"]: row["action"] for row in outcome["certificates"]}
    console.print(
        f"The next scheduled run: {sni} {actions.get(sni, 'gone')}, "
        f"{cdn} {actions.get(cdn)} (no certificate covers its name: request one in ACM).",
        highlight=False,
    )


if __name__ == "__main__":
    sys.exit(main())
