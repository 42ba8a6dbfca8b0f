"""The organization digest at scale: 50, 500, 1,000 and 5,000 member accounts on the emulator.

Each member's result is what a member really queues: the `sqs` part of the SNS message its function publishes
(`notify.message.sns_message`), built from a run of realistic size: most accounts hold a few certificates, one
in ten a hundred, one in a hundred as many as fit (the result is summarised to stay under SNS's 256 KB, which
carries the JSON once per machine protocol). One account in ten has an incident (expired certificates in use).
The digest runs in a fresh process (`python -m bench.digest --one`), as a cold Lambda start would, and reports
its wall time, CPU, peak memory (RSS), SQS calls, report and email sizes.

`python -m bench.digest` prints the table; `make bench` adds it to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
COUNTS = (50, 500, 1000, 5000)
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SNS_MESSAGE_LIMIT = 256 * 1024
SUBJECT_LIMIT = 100
BUCKET = "bench-digest-reports"


def member_body(index: int, rng: random.Random) -> str:
    """The body one member queues: the `sqs` part of its published summary."""
    from cert_cleanup.models import Action, Certificate, CertificateResult, RunResult
    from cert_cleanup.notify.message import event_detail
    from cert_cleanup.org.digest import event_body

    account = f"{300000000000 + index}"
    size = rng.random()
    certificates = 5 if size < 0.89 else 100 if size < 0.99 else 2000
    run = RunResult(f"run-{index}", account, f"member-{index:04d}", False, NOW - timedelta(hours=2))
    run.regions = [f"region-{n}" for n in range(17)]
    for number in range(certificates):
        name = f"service-{number:04d}-{rng.choice(['api', 'www', 'internal', 'partner'])}.example.com"
        arn = f"arn:aws:iam::{account}:server-certificate/{name}"
        roll = rng.random()
        days = rng.randint(40, 700) if roll < 0.8 else rng.randint(-60, 29)
        cert = Certificate(name, f"ASCA{index:06d}{number:06d}", arn, "/", NOW + timedelta(days=days))
        if days >= 30:
            row = CertificateResult(cert, Action.VALID, f"valid for {days} days")
        elif days >= 0:
            row = CertificateResult(cert, Action.EXPIRING_SOON, f"expires in {days} days")
        elif index % 10 == 0 and number % 3 == 0:
            users = tuple(
                f"arn:aws:elasticloadbalancing:eu-west-1:{account}:loadbalancer/app/shop-{n}/0123456789abcdef"
                for n in range(rng.randint(1, 4))
            )
            row = CertificateResult(cert, Action.IN_USE, f"expired {-days} days ago; in use", users)
        else:
            row = CertificateResult(cert, Action.DELETED, f"expired {-days} days ago; unused")
        run.certificates.append(row)
    run.finished_at = NOW - timedelta(hours=2) + timedelta(seconds=40)
    return event_body(account, json.loads(event_detail(run)))  # what the bus's rule queues


def seed(count: int) -> dict[str, Any]:
    """A queue holding ``count`` members' results, a report bucket, a topic; returns the digest's settings."""
    session = boto3.Session(region_name="us-east-1")
    sqs, sns = session.client("sqs"), session.client("sns")
    queue_url = sqs.create_queue(QueueName=f"digest-{count}")["QueueUrl"]
    session.client("s3").create_bucket(Bucket=BUCKET)
    topic = sns.create_topic(Name="central")["TopicArn"]
    rng = random.Random(count)  # noqa: S311 (repeatable sizes, not secrets)
    sizes = []
    batch: list[Any] = []
    for index in range(count):
        body = member_body(index, rng)
        sizes.append(len(body.encode()))
        batch.append({"Id": str(len(batch)), "MessageBody": body})
        if len(batch) == 10 or sum(len(entry["MessageBody"]) for entry in batch) > 200_000:
            sqs.send_message_batch(QueueUrl=queue_url, Entries=batch)
            batch = []
    if batch:
        sqs.send_message_batch(QueueUrl=queue_url, Entries=batch)
    return {
        "DIGEST_QUEUE_URL": queue_url,
        "REPORT_BUCKET": BUCKET,
        "SNS_TOPIC_ARN": topic,
        "queued_bytes": sum(sizes),
        "largest_result_bytes": max(sizes),
    }


def one() -> int:
    """One digest, in this fresh process: prints its figures (JSON)."""
    from bench.run_once import peak_rss_mb

    started, cpu_started = time.perf_counter(), time.process_time()
    from cert_cleanup.aws.clients import AwsClients
    from cert_cleanup.config.settings import DigestSettings
    from cert_cleanup.org import job

    outcome = job.send(DigestSettings.from_env(os.environ), AwsClients(), now=NOW)
    print(
        json.dumps(
            {
                "wall_s": time.perf_counter() - started,
                "cpu_s": time.process_time() - cpu_started,
                "peak_rss_mb": peak_rss_mb(),
                **outcome,
            }
        )
    )
    return 0


def measure(emulator: Any, count: int) -> dict[str, Any]:
    emulator.reset()
    emulator.latency(0)
    settings = seed(count)
    emulator.latency(5)  # SQS, S3 and SNS in the digest's own region: a few ms a call
    emulator.reset_calls()
    env = {
        **os.environ,
        **emulator.environment(),
        **{key: str(value) for key, value in settings.items()},
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda"), str(ROOT)]),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "bench.digest", "--one"], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"digest of {count} accounts failed: {completed.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    sqs_calls: Counter[str] = Counter()
    for service, _region, operation, calls in emulator.calls()["calls"]:
        if service == "sqs":
            sqs_calls[operation] += calls
    subject = emulator.sns_messages(settings["SNS_TOPIC_ARN"])[-1]["subject"] or ""
    return {
        "accounts": count,
        "queued_mb": settings["queued_bytes"] / 1e6,
        "largest_result_kb": settings["largest_result_bytes"] / 1024,
        "sqs_calls": dict(sqs_calls),
        "subject_chars": len(subject),
        **figures,
    }


def run_all(emulator: Any, counts: tuple[int, ...] = COUNTS) -> list[dict[str, Any]]:
    rows = []
    for count in counts:
        print(f"digest: {count} accounts...", file=sys.stderr)
        rows.append(measure(emulator, count))
    return rows


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| accounts | results queued | wall time | CPU | peak memory (RSS) | SQS calls | report (CSV + JSON) | "
        "email | subject |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        report_mb = sum(row["report_bytes"].values()) / 1e6
        calls = ", ".join(f"{op} {n}" for op, n in sorted(row["sqs_calls"].items()))
        lines.append(
            f"| {row['accounts']} | {row['queued_mb']:.1f} MB (largest {row['largest_result_kb']:.0f} KB) | "
            f"{row['wall_s']:.1f} s | {row['cpu_s']:.1f} s | {row['peak_rss_mb']:.0f} MB | {calls} | "
            f"{report_mb:.1f} MB | {row['email_bytes'] / 1024:.1f} KB of {SNS_MESSAGE_LIMIT // 1024} KB | "
            f"{row['subject_chars']} of {SUBJECT_LIMIT} characters |"
        )
    return lines


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    accounts = [row["accounts"] for row in rows]
    figure, axes = plt.subplots(1, 3, figsize=(11, 3.6), dpi=110)
    series = (
        ("wall time (s)", [row["wall_s"] for row in rows]),
        ("peak memory (MB)", [row["peak_rss_mb"] for row in rows]),
        ("SQS calls", [sum(row["sqs_calls"].values()) for row in rows]),
    )
    for axis, (label, values) in zip(axes, series, strict=True):
        axis.plot(accounts, values, marker="o")
        axis.set_xscale("log")
        axis.set_xticks(accounts, [str(a) for a in accounts])
        axis.set_xlabel("member accounts")
        axis.set_title(label)
        axis.grid(True, alpha=0.3)
    figure.suptitle("The organization digest against the number of member accounts (emulated)")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", action="store_true", help="run one digest in this process (internal)")
    parser.add_argument("--accounts", type=int, nargs="*", default=list(COUNTS))
    args = parser.parse_args(argv)
    if args.one:
        return one()
    from emulator.process import running

    with running() as emulator:
        os.environ.update(emulator.environment())
        rows = run_all(emulator, tuple(args.accounts))
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
