"""cdk-nag finds nothing unacknowledged; the asset holds the function and its pinned wheels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra import bundling, nag
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
    assert not (asset_dir / "cert_cleanup" / "cli.py").exists()
    assert list(asset_dir.glob("pydantic_core/_pydantic_core.cpython-314-aarch64-linux-gnu.so"))
    installed = {
        path.name.removesuffix(".dist-info").split("-")[0].lower(): path.name.removesuffix(".dist-info").split("-")[1]
        for path in asset_dir.glob("*.dist-info")
    }
    pins = {}
    for line in (ROOT / "lambda" / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[.*\])?==(\S+)$", line.strip())
        if match:
            pins[match[1].lower().replace("-", "_")] = match[3]
    assert installed == pins
    assert not (asset_dir / "boto3").exists()
    assert not (asset_dir / "botocore").exists()
    assert artifact.template["Resources"]


def test_makefile_downloads_wheels_for_the_function_runtime() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert f"LAMBDA_PYTHON_VERSION := {bundling.PYTHON_VERSION}" in makefile
    assert f"LAMBDA_PLATFORM := {bundling.PLATFORM}" in makefile
    assert bundling.RUNTIME.name == f"python{bundling.PYTHON_VERSION}"


def test_missing_wheelhouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(bundling.BundlingError, match="run `make wheelhouse` first"):
        bundling.WheelhouseBundling(tmp_path / "none").try_bundle(str(tmp_path / "out"), image=None)  # type: ignore[arg-type]
