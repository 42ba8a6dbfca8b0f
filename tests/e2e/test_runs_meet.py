"""Runs that meet, for real: separate processes (as separate Lambda execution environments are) invoke the handler at
once against the emulator over HTTP, a schedule and a burst of IAM.26 finding events in both formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime

import boto3
import pytest

from emulator.process import ROOT, Emulator
from emulator.seed import finding_event, iam26_finding, iam26_ocsf_finding, scheduled_event, seed_demo_account

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
INVOKE = """
import json, sys
from types import SimpleNamespace
from cert_cleanup.handler import lambda_handler
context = SimpleNamespace(function_name="cert-cleanup", memory_limit_in_mb=1769, aws_request_id="r",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:cert-cleanup")
print(json.dumps(lambda_handler(json.loads(sys.argv[1]), context)))
"""


def test_a_schedule_and_a_burst_of_findings_in_separate_processes_make_at_most_two_runs(emulator: Emulator) -> None:
    # Given the demo account (one expired unused certificate among others) with the deployed settings
    seeded = seed_demo_account(boto3.Session(region_name="us-east-1"), datetime.now(UTC))
    env = {
        **os.environ,
        **emulator.environment(),
        "SNS_TOPIC_ARN": seeded.topic_arn,
        "ARCHIVE_BUCKET": seeded.bucket,
        "LEASE_TABLE": seeded.lease_table,
        "UPDATE_FINDINGS": "false",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda"), str(ROOT)]),
    }
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    asff = finding_event(iam26_finding(ACCOUNT), time=at)
    ocsf = finding_event(iam26_ocsf_finding(ACCOUNT), detail_type="Findings Imported V2", time=at)
    events = [scheduled_event(ACCOUNT), *([asff, ocsf] * 6)]
    emulator.reset_calls()

    # When thirteen invocations start at once, each in its own process
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", INVOKE, json.dumps(event)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for event in events
    ]
    outputs = [process.communicate(timeout=300) for process in processes]

    # Then none failed (no alarm), at most two runs listed the account (one, and one more for what it may have
    # missed), and the expired unused certificate was deleted, archived and told exactly once
    assert [process.returncode for process in processes] == [0] * len(events), [err for _, err in outputs]
    answers = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    runs = [
        (event["detail-type"], run["run_id"], run["started_at"])
        for event, answer in zip(events, answers, strict=True)
        if not answer.get("not_run")
        for run in [answer, *answer.get("follow_ups", [])]
    ]
    assert 1 <= len(runs) <= 2, runs
    # and the account was listed once per run reported (SDK calls: a request retried in the burst is one call)
    calls: Counter[str] = Counter()
    for service, _region, operation, count in emulator.calls()["sdk_calls"]:
        calls[f"{service}:{operation}"] += count
    assert calls["iam:ListServerCertificates"] == len(runs), (calls, runs)
    assert calls["iam:DeleteServerCertificate"] == 1
    told = [
        row["name"]
        for sent in emulator.sns_messages(seeded.topic_arn)
        for row in json.loads(json.loads(sent["message"])["sqs"])["certificates"]
        if row["action"] == "deleted"
    ]
    assert told == [seeded.named["unused"]]
    archived = boto3.client("s3").list_objects_v2(Bucket=seeded.bucket).get("Contents", [])
    assert len(archived) == 1
