"""`make try-cli`: the command line against the emulator's demo account, as a person would type it.

Starts the emulator on 127.0.0.1, seeds the demo account (emulator/seed.py), and runs `cert-cleanup scan`, then
`cert-cleanup run --archive-bucket ...`, which shows its preview and asks (answer y or n). Without a terminal to
ask on, the run gets `--yes`. The emulator stops at the end; nothing reaches AWS.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from emulator.process import running
from emulator.seed import seed_demo_account

COMMAND = Path(sys.executable).parent / "cert-cleanup"


def main() -> int:
    with running() as emulator:
        environment = {**os.environ, **emulator.environment(), "COLUMNS": os.environ.get("COLUMNS", "160")}
        os.environ.update(emulator.environment())
        import boto3

        seeded = seed_demo_account(boto3.Session(region_name="us-east-1"), datetime.now(UTC))
        print(f"Emulator at {emulator.url}, seeded with the demo account (emulator/seed.py). Try it yourself:")
        print(f"  AWS_ENDPOINT_URL={emulator.url} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \\")
        print(f"  AWS_DEFAULT_REGION=us-east-1 {COMMAND.relative_to(Path.cwd())} scan\n")
        run = ["run", "--archive-bucket", seeded.bucket]
        if not sys.stdin.isatty():
            run.append("--yes")  # no terminal to answer the question on
        for arguments in (["scan"], run):
            print(f"$ cert-cleanup {shlex.join(arguments)}", flush=True)
            code = subprocess.run([str(COMMAND), *arguments], env=environment, check=False).returncode  # noqa: S603
            print(f"(exit code {code}: see docs/cli.md, Exit codes)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
