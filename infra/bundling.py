"""Package the function without Docker: ``lambda/cert_cleanup`` plus the pinned, hash-checked wheels of
infra/wheels.py for Lambda's platform (the command line lives in ``cli/`` and is not part of it)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra.wheels import LAMBDA_DIR, LOCK, TARGET, WHEELHOUSE, download_wheels, pip

PACKAGE = "cert_cleanup"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64


@jsii.implements(ILocalBundling)
class WheelhouseBundling:
    """Copies ``cert_cleanup`` and installs the locked wheels for Lambda's platform, offline."""

    def __init__(self, wheelhouse: Path = WHEELHOUSE, lock: Path = LOCK) -> None:
        self.wheelhouse = wheelhouse
        self.lock = lock

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_: object) -> bool:
        if not self.wheelhouse.is_dir() or not any(self.wheelhouse.glob("*.whl")):
            print(f"cert-cleanup: downloading the function's pinned wheels into {self.wheelhouse}", file=sys.stderr)
            download_wheels(self.wheelhouse, self.lock)
        output = Path(output_dir)
        shutil.copytree(
            LAMBDA_DIR / PACKAGE,
            output / PACKAGE,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )
        pip(
            "install", "--quiet", "--no-index", "--find-links", str(self.wheelhouse), "--require-hashes", *TARGET,
            "--no-compile", "--target", str(output), "--requirement", str(self.lock),
        )  # fmt: skip
        return True


def function_code() -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(LAMBDA_DIR),
        bundling=BundlingOptions(
            image=DockerImage.from_registry("local-bundling-only"),  # never pulled: local bundling succeeds
            local=WheelhouseBundling(),
        ),
    )
