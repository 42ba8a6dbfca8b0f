"""One measured run in a fresh process: prints wall time, peak memory and what was decided (JSON)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from types import SimpleNamespace

CONTEXT = SimpleNamespace(
    function_name="cert-cleanup",
    memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:cert-cleanup",
    aws_request_id="bench",
)


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; ru_maxrss keeps the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=("ours", "sequential"), required=True)
    parser.add_argument("--mode", choices=("dry", "real"), required=True)
    args = parser.parse_args()
    dry_run = args.mode == "dry"

    started = time.perf_counter()
    cpu_started = time.process_time()  # this process only (every thread), not the emulator's
    if args.impl == "ours":
        from cert_cleanup.errors import RunFailed
        from cert_cleanup.handler import lambda_handler
        from emulator.seed import scheduled_event

        try:
            result = lambda_handler({"dry_run": True} if dry_run else scheduled_event(), CONTEXT)
        except RunFailed as exc:
            print(json.dumps({"error": str(exc)}))
            return 1
        decided = {
            "would_delete": sorted(r["name"] for r in result["certificates"] if r["action"] == "would_delete"),
            "deleted": sorted(r["name"] for r in result["certificates"] if r["action"] == "deleted"),
            "counts": result["counts"],
        }
    else:
        from bench.baseline_sequential import run

        outcome = run(dry_run=dry_run, topic_arn=os.environ["SNS_TOPIC_ARN"], bucket=os.environ.get("ARCHIVE_BUCKET"))
        decided = {"would_delete": outcome["unused"] if dry_run else [], "deleted": outcome["deleted"]}
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak_mb = peak_rss_mb()
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak_mb, **decided}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
