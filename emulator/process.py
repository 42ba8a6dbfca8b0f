"""Start and stop the emulator process (used by the demo, the end-to-end tests, the benchmark)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Emulator:
    url: str

    def post(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 (loopback only)
            self.url + path,
            data=json.dumps(payload or {}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback only)
            return json.loads(response.read() or b"{}")

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:  # noqa: S310 (loopback only)
            return json.loads(response.read())

    def settings(self, **values: Any) -> None:
        self.post("/emulator/settings", values)

    def reset(self) -> None:
        self.post("/emulator/reset")

    def add_ocsf_findings(self, account: str, region: str, findings: list[dict[str, Any]]) -> None:
        """Seed OCSF findings in the server (emulator.securityhub.add_ocsf_findings there)."""
        self.post("/emulator/securityhub-v2", {"account": account, "region": region, "findings": findings})

    def sns_messages(self, topic_arn: str) -> list[dict[str, str]]:
        """What moto recorded as published to ``topic_arn``: subject and message, oldest first."""
        messages: list[dict[str, str]] = self.get("/emulator/sns").get(topic_arn, [])
        return messages

    def latency(self, ms: float) -> None:
        self.post("/emulator/latency", {"ms": ms})

    def throttle(self, limits: dict[str, dict[str, float]]) -> None:
        """Token buckets per service, e.g. ``{"iam": {"rate": 10, "burst": 20}}``; ``{}`` for none."""
        self.post("/emulator/throttle", limits)

    def calls(self) -> dict[str, Any]:
        """Calls counted since the last :meth:`reset_calls`: by (service, region, operation)."""
        return dict(self.get("/emulator/calls"))

    def reset_calls(self) -> None:
        self.post("/emulator/calls")

    def environment(self) -> dict[str, str]:
        """Variables that point boto3 at the emulator with dummy credentials."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }


@contextmanager
def running(extra_args: list[str] | None = None) -> Iterator[Emulator]:
    """Run ``python -m emulator.server`` on a free loopback port; stop it on exit."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(  # noqa: S603 (our own module, fixed arguments)
        [sys.executable, "-m", "emulator.server", *(extra_args or [])],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"emulator did not start (exit code {process.poll()}): {line!r}")
        yield Emulator(url=line.removeprefix("READY "))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
