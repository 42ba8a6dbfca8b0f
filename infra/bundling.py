"""Package the function without Docker: our code plus pinned wheels from a local wheelhouse.

``make wheelhouse`` downloads the Linux arm64 wheels of ``lambda/requirements.txt`` for the
function's Python version once (from PyPI); synth then installs them offline into the asset, so
``cdk synth`` needs neither Docker nor the network, and the function runs exactly the versions the
tests ran.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_DIR = ROOT / "lambda"
REQUIREMENTS = LAMBDA_DIR / "requirements.txt"
WHEELHOUSE = ROOT / ".wheelhouse"
PACKAGE = "cert_cleanup"
LOCAL_ONLY = ("cli.py",)  # the command-line tool is not part of the function
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.14"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64


class BundlingError(RuntimeError):
    """The function's asset could not be built; the message says how to fix it."""


@jsii.implements(ILocalBundling)
class WheelhouseBundling:
    """Copies ``cert_cleanup`` and installs the pinned wheels for Lambda's platform, offline."""

    def __init__(self, wheelhouse: Path = WHEELHOUSE) -> None:
        self.wheelhouse = wheelhouse

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_: object) -> bool:
        if not self.wheelhouse.is_dir() or not any(self.wheelhouse.glob("*.whl")):
            raise BundlingError(f"no wheels in {self.wheelhouse}: run `make wheelhouse` first")
        output = Path(output_dir)
        shutil.copytree(
            LAMBDA_DIR / PACKAGE,
            output / PACKAGE,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *LOCAL_ONLY),
            dirs_exist_ok=True,
        )
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-index", "--find-links", str(self.wheelhouse), "--no-deps", "--only-binary=:all:",
            "--platform", PLATFORM, "--implementation", "cp", "--python-version", PYTHON_VERSION,
            "--no-compile", "--target", str(output), "--requirement", str(REQUIREMENTS),
        ]  # fmt: skip
        completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if completed.returncode != 0:
            raise BundlingError(f"pip could not install the function's wheels: {completed.stderr.strip()}")
        return True


def function_code() -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(LAMBDA_DIR),
        bundling=BundlingOptions(
            image=DockerImage.from_registry("local-bundling-only"),  # never pulled: local bundling succeeds
            local=WheelhouseBundling(),
        ),
    )
