"""The function's wheels for Lambda's platform, without the CDK: ``make lock`` and ``make wheelhouse``.

``lambda/requirements.txt`` pins every dependency (boto3 and botocore included); ``lambda/requirements.lock``
holds the same pins with the sha256 of each Linux arm64 wheel (``make lock`` writes it). The first synth
downloads the wheels into ``.wheelhouse`` (it needs the package index once); later synths install them
offline. pip checks every wheel against the lock (``--require-hashes``) both times: this code holds a
delete permission in every account it runs in. This module imports nothing of the CDK, so these commands
start no Node.js.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LAMBDA_DIR = ROOT / "lambda"
REQUIREMENTS = LAMBDA_DIR / "requirements.txt"
# Run from a clone of the repository (``lambda/`` beside this package), or installed from the wheel, where this
# package is ``cert_cleanup_cdk`` and the lock is its package data (``infra/requirements.lock`` links to the lock).
FROM_SOURCE = (LAMBDA_DIR / "cert_cleanup").is_dir()
LOCK = LAMBDA_DIR / "requirements.lock" if FROM_SOURCE else HERE / "requirements.lock"
WHEELHOUSE_VARIABLE = "CERT_CLEANUP_WHEELHOUSE"


def _wheelhouse() -> Path:
    """Where synth keeps the downloaded wheels: ``.wheelhouse`` of the clone; installed, ``$CERT_CLEANUP_WHEELHOUSE``
    or a folder of the user's cache named by the lock's hash (never the virtual environment: it may be read-only,
    and an upgrade with another lock must not reuse the wheels of the last)."""
    if FROM_SOURCE:
        return ROOT / ".wheelhouse"
    if given := os.environ.get(WHEELHOUSE_VARIABLE):
        return Path(given)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:16] if LOCK.is_file() else "no-lock"
    return cache / "cert-cleanup" / f"wheels-{digest}"


WHEELHOUSE = _wheelhouse()
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.14"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(\[[^\]]*\])?==(?P<version>\S+)")
# pip options that select the wheels of Lambda's platform, whatever machine synthesizes.
TARGET = (
    "--no-deps", "--only-binary=:all:", "--platform", PLATFORM, "--implementation", "cp",
    "--python-version", PYTHON_VERSION,
)  # fmt: skip


class BundlingError(RuntimeError):
    """The function's asset could not be built; the message says how to fix it."""


def pip(*arguments: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise BundlingError(f"pip {arguments[0]} failed: {completed.stderr.strip()}")


def download_wheels(wheelhouse: Path = WHEELHOUSE, lock: Path = LOCK) -> None:
    """Fetch the locked wheels for Lambda's platform from the package index, each checked by hash."""
    if not lock.is_file():
        raise BundlingError(f"{lock} is missing: run `make lock` to write it from {REQUIREMENTS.name}")
    wheelhouse.mkdir(parents=True, exist_ok=True)
    pip("download", "--quiet", "--require-hashes", *TARGET, "--requirement", str(lock), "--dest", str(wheelhouse))


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: Path) -> dict[str, str]:
    """``{normalized name: version}`` of every ``name==version`` line of a requirements file."""
    found = {}
    for line in requirements.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[normalize(match["name"])] = match["version"]
    return found


def write_lock(requirements: Path = REQUIREMENTS, lock: Path = LOCK) -> None:
    """Download the pinned wheels for Lambda's platform and write their sha256 next to each pin."""
    with tempfile.TemporaryDirectory() as folder:
        pip("download", "--quiet", *TARGET, "--requirement", str(requirements), "--dest", folder)
        wheels = {normalize(path.name.split("-")[0]): path for path in Path(folder).glob("*.whl")}
        lines = [
            f"# The wheels of {requirements.name} for Lambda ({PLATFORM}, CPython {PYTHON_VERSION}), by sha256.",
            "# Written by `make lock`; bundling installs with --require-hashes.",
        ]
        for name, version in sorted(pins(requirements).items()):
            if name not in wheels:
                raise BundlingError(f"no wheel of {name}=={version} for {PLATFORM}")
            digest = hashlib.sha256(wheels[name].read_bytes()).hexdigest()
            lines.append(f"{name}=={version} --hash=sha256:{digest}")
        lock.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description="The function's wheels for Lambda's platform.")
    parser.add_argument("command", choices=["lock", "download"], help="lock: write the hashes; download: fetch")
    arguments = parser.parse_args()
    try:
        if arguments.command == "lock":
            write_lock()
        else:
            download_wheels()
    except BundlingError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
