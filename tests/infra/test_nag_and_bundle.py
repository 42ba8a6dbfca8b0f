"""cdk-nag finds nothing unacknowledged; the asset holds the function and its pinned wheels."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import boto3
import pytest

from infra import bundling, nag, wheels
from infra.stack import CertCleanupStack
from tests.infra.conftest import CONTEXT, synthesize

ROOT = Path(__file__).resolve().parents[2]


def test_synth_passes_cdk_nag_with_only_acknowledged_findings() -> None:
    app, _ = synthesize(CONTEXT)
    assembly = app.synth()  # raises ValidationFailed on any unacknowledged finding
    assert assembly.get_stack_by_name("CertCleanup").template["Resources"]


def test_every_acknowledgment_has_a_specific_reason() -> None:
    for rule, reason in nag.ACKNOWLEDGMENTS.items():
        assert rule.startswith("AwsSolutions::AwsSolutions-")
        assert len(reason) > 80, rule


def test_an_unacknowledged_finding_fails_synth(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the acknowledgment of the wildcard discovery statement is withdrawn
    reduced = {rule: reason for rule, reason in nag.ACKNOWLEDGMENTS.items() if "Resource::*]" not in rule}
    monkeypatch.setattr(nag, "ACKNOWLEDGMENTS", reduced)
    app, _ = synthesize(CONTEXT)
    # Then synth fails
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_asset_holds_the_function_and_exactly_the_pinned_wheels(stack: CertCleanupStack) -> None:
    app = stack.node.root
    assembly = app.synth()  # type: ignore[attr-defined]
    artifact = assembly.get_stack_by_name("CertCleanup")
    [asset_dir] = [path for path in Path(assembly.directory).glob("asset.*") if path.is_dir()]
    assert (asset_dir / "cert_cleanup" / "handler.py").is_file()
    assert not list(asset_dir.rglob("cert_cleanup_cli")), "the command line is not part of the function"
    assert not list(asset_dir.rglob("typer")), "nor its dependencies"
    assert not list(asset_dir.glob("aws_xray_sdk*")), "no tracing SDK: Lambda's active tracing needs none"
    assert list(asset_dir.glob("pydantic_core/_pydantic_core.cpython-314-aarch64-linux-gnu.so"))
    installed = {
        wheels.normalize(path.name.removesuffix(".dist-info").split("-")[0]): path.name.removesuffix(
            ".dist-info"
        ).split("-")[1]
        for path in asset_dir.glob("*.dist-info")
    }
    # Every pin, boto3 and botocore included: the function runs the endpoint data the tests ran.
    assert installed == wheels.pins(ROOT / "lambda" / "requirements.txt")
    assert installed["boto3"] == installed["botocore"] == boto3.__version__
    assert (asset_dir / "botocore" / "data" / "endpoints.json").is_file()
    size = sum(path.stat().st_size for path in asset_dir.rglob("*") if path.is_file())
    assert size < 250 * 1024 * 1024  # Lambda's limit for unzipped code
    assert artifact.template["Resources"]


def test_lock_holds_every_pin_with_one_hash() -> None:
    locked = wheels.pins(wheels.LOCK)
    assert locked == wheels.pins(wheels.REQUIREMENTS)
    lines = [line for line in wheels.LOCK.read_text().splitlines() if line and not line.startswith("#")]
    assert all(re.fullmatch(r"\S+==\S+ --hash=sha256:[0-9a-f]{64}", line) for line in lines)


def test_function_runtime_matches_the_wheels_platform() -> None:
    assert bundling.RUNTIME.name == f"python{wheels.PYTHON_VERSION}"
    assert wheels.PLATFORM.endswith("aarch64")
    assert bundling.ARCHITECTURE.name == "arm64"


def _local_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip finds the wheels in the project's wheelhouse instead of the package index (no network here)."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels.WHEELHOUSE))


def test_missing_wheels_are_downloaded_by_the_first_synth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an empty wheelhouse (a fresh clone) and an index that serves the pinned wheels
    _local_index(monkeypatch)
    wheelhouse = tmp_path / "wheelhouse"
    # When the asset is bundled
    assert bundling.WheelhouseBundling(wheelhouse).try_bundle(str(tmp_path / "out"), image=None)  # type: ignore[arg-type]
    # Then every locked wheel was fetched, and the asset holds the function and its dependencies
    assert len(list(wheelhouse.glob("*.whl"))) == len(wheels.pins(wheels.LOCK))
    assert (tmp_path / "out" / "cert_cleanup" / "handler.py").is_file()
    assert (tmp_path / "out" / "botocore").is_dir()


def test_a_wheel_that_does_not_match_its_hash_is_refused(tmp_path: Path) -> None:
    # Given a wheelhouse in which one wheel was altered
    wheelhouse = tmp_path / "wheelhouse"
    shutil.copytree(wheels.WHEELHOUSE, wheelhouse)
    [wheel] = list(wheelhouse.glob("six-*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"tampered")
    # Then bundling fails, naming the hash check
    with pytest.raises(wheels.BundlingError, match=r"(?i)hash"):
        bundling.WheelhouseBundling(wheelhouse).try_bundle(str(tmp_path / "out"), image=None)  # type: ignore[arg-type]


def test_a_missing_lock_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(wheels.BundlingError, match="run `make lock`"):
        bundling.WheelhouseBundling(tmp_path / "none", tmp_path / "missing.lock").try_bundle(
            str(tmp_path / "out"),
            image=None,  # type: ignore[arg-type]
        )
