"""Package the function without Docker: the ``cert_cleanup`` package plus the pinned, hash-checked wheels of
infra/wheels.py for Lambda's platform (the command line lives in ``cli/`` and is not part of it).

The same in a clone (``lambda/cert_cleanup``) and in a user's app that installed the wheel (the installed
``cert_cleanup``): nothing of the user's directory layout is read, and no Docker engine is needed."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from .wheels import FROM_SOURCE, LAMBDA_DIR, LOCK, TARGET, WHEELHOUSE, BundlingError, download_wheels, pip

PACKAGE = "cert_cleanup"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
IGNORED = ("__pycache__", "*.pyc")


def function_source() -> Path:
    """The function's package: ``lambda/cert_cleanup`` of the clone, or the installed one (found, not imported)."""
    if FROM_SOURCE:
        return LAMBDA_DIR / PACKAGE
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise BundlingError(f"the {PACKAGE} package is not installed: pip install cert-cleanup")
    return Path(spec.origin).parent


def asset_hash(source: Path, lock: Path = LOCK) -> str:
    """The asset's identity: the function's files and the lock, wherever they are installed (the same version of
    the package gives the same hash, so an unchanged function is not uploaded or updated again)."""
    if not lock.is_file():
        raise BundlingError(f"{lock} is missing: reinstall the cert-cleanup package (or, in a clone, run `make lock`)")
    digest = hashlib.sha256()
    for path in sorted(source.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(source).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(lock.read_bytes())
    return digest.hexdigest()


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
            function_source(),
            output / PACKAGE,
            ignore=shutil.ignore_patterns(*IGNORED),
            dirs_exist_ok=True,
        )
        pip(
            "install", "--quiet", "--no-index", "--find-links", str(self.wheelhouse), "--require-hashes", *TARGET,
            "--no-compile", "--target", str(output), "--requirement", str(self.lock),
        )  # fmt: skip
        return True


def function_code() -> lambda_.Code:
    source = function_source()
    return lambda_.Code.from_asset(
        str(source),
        exclude=list(IGNORED),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(source),
        bundling=BundlingOptions(
            image=DockerImage.from_registry("local-bundling-only"),  # never pulled: local bundling succeeds
            local=WheelhouseBundling(),
        ),
    )
