"""A real run under IAM's shared rate limit: the emulator throttles IAM with an account-wide token bucket.

``python -m bench.throttle`` seeds an account (600 certificates, 365 of them expired and unused by
default), turns on the bucket, runs the function once in its own process, and prints the figures:
IAM calls, throttled IAM calls, wall time, and the bucket's own floor (IAM calls / rate) that no
client can beat.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from bench.scale import SEED_CONFIG
from emulator.process import Emulator, running
from emulator.seed import deployed_function, lease_table
from emulator.seed_certs import make_certificate

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ThrottleCase:
    certificates: int = 600
    expired_unused: int = 365
    rate: float = 10.0  # IAM calls per second refilling the bucket
    burst: float = 20.0
    latency_ms: float = 25.0
    archive: bool = True


def seed(emulator: Emulator, case: ThrottleCase) -> dict[str, str]:
    """An account with ``case.certificates`` certificates; the first ``expired_unused`` are expired."""
    emulator.reset()
    emulator.latency(0)
    session = boto3.Session(region_name="us-east-1")
    iam = session.client("iam", config=SEED_CONFIG)
    now = datetime.now(UTC)

    def upload(index: int) -> None:
        expired = index < case.expired_unused
        name = f"{'expired' if expired else 'valid'}-{index:04d}"
        not_after = now + timedelta(days=-(1 + index % 300) if expired else 60 + index % 300)
        body, key = make_certificate(f"{name}.example.com", not_after=not_after)
        iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(upload, range(case.certificates)))
    topic = session.client("sns", config=SEED_CONFIG).create_topic(Name="cert-cleanup")["TopicArn"]
    bucket = "cert-cleanup-throttle-bench"
    session.client("s3", config=SEED_CONFIG).create_bucket(Bucket=bucket)
    deployed_function(session)
    return {
        "SNS_TOPIC_ARN": topic,
        "LEASE_TABLE": lease_table(session),
        **({"ARCHIVE_BUCKET": bucket} if case.archive else {}),
    }


def run(emulator: Emulator, case: ThrottleCase) -> dict[str, Any]:
    """Seed, throttle IAM, run once; the figures and whether the run was complete and correct."""
    variables = seed(emulator, case)
    emulator.latency(case.latency_ms)
    emulator.throttle({"iam": {"rate": case.rate, "burst": case.burst}})
    emulator.reset_calls()
    env = {
        **os.environ,
        **emulator.environment(),
        **variables,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda"), str(ROOT)]),
    }
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "bench.run_once", "--impl", "ours", "--mode", "real"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    wall = time.perf_counter() - started
    emulator.throttle({})
    report = emulator.calls()
    iam_calls = sum(row[3] for row in report["calls"] if row[0] == "iam")
    iam_throttled = sum(row[3] for row in report["throttled"] if row[0] == "iam")
    outcome: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1]) if completed.stdout else {}
    counts = outcome.get("counts", {})
    deleted = set(outcome.get("deleted", []))
    expected = {f"expired-{index:04d}" for index in range(case.expired_unused)}
    return {
        "case": asdict(case),
        "exit_code": completed.returncode,
        "error": outcome.get("error"),
        "wall_s": round(wall, 2),
        "iam_calls": iam_calls,
        "iam_throttled": iam_throttled,
        "throttled_share": round(iam_throttled / iam_calls, 3) if iam_calls else 0.0,
        "floor_s": round(iam_calls / case.rate, 2),
        "wall_over_floor": round(wall / (iam_calls / case.rate), 2) if iam_calls else None,
        "counts": counts,
        "all_unused_deleted": deleted == expected,
        "complete": completed.returncode == 0 and not counts.get("failed") and not counts.get("usage_unknown"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=600)
    parser.add_argument("--expired-unused", type=int, default=365)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--burst", type=float, default=20.0)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    args = parser.parse_args(argv)
    case = ThrottleCase(args.certificates, args.expired_unused, args.rate, args.burst, args.latency_ms)
    with running() as emulator:
        os.environ.update(emulator.environment())
        print(json.dumps(run(emulator, case), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
