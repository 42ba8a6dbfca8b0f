"""The demo: a local AWS emulator, a believable account, a dry run, then a real run.

Run with ``make demo``. Everything happens on 127.0.0.1; the emulator is stopped at the end.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from types import SimpleNamespace

from rich.console import Console
from rich.rule import Rule

from emulator.process import running
from emulator.seed import seed_demo_account

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:cert-cleanup"
SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": ACCOUNT,
    "time": "2026-11-27T06:00:00Z",
    "region": "us-east-1",
    "resources": [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/cert-cleanup-daily"],
    "detail": {},
}


def main() -> int:
    console = Console(width=None if sys.stdout.isatty() else 160)
    with running() as emulator:
        console.print(f"Emulator (moto + cert-cleanup's AWS-behaviour patches) at {emulator.url}")
        os.environ.update(emulator.environment())
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

        import boto3

        session = boto3.Session(region_name="us-east-1")
        seeded = seed_demo_account(session, datetime.now(UTC))
        console.print(Rule("The account"))
        for name, user in [(n, seeded.users.get(n, "-")) for n in seeded.certificates]:
            console.print(f"  {name:<20} user: {user}")

        os.environ.update({"SNS_TOPIC_ARN": seeded.topic_arn, "ARCHIVE_BUCKET": seeded.bucket})

        from cert_cleanup.cli import render_table
        from cert_cleanup.handler import lambda_handler

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

        console.print(Rule("4. What is left in IAM"))
        left = session.client("iam").list_server_certificates()["ServerCertificateMetadataList"]
        console.print("  " + ", ".join(sorted(item["ServerCertificateName"] for item in left)))
        archived = session.client("s3").list_objects_v2(Bucket=seeded.bucket).get("Contents", [])
        console.print(f"  archived before deletion: {', '.join(obj['Key'] for obj in archived) or 'nothing'}")
    console.print("Emulator stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
