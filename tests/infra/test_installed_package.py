"""The wheel as a user installs it: built from the repository, installed into a fresh virtual environment outside
it, and added to a minimal CDK app of the user's (a stack of its own, a topic and key of its own passed in), which
synthesizes with cdk-nag's AwsSolutions checks on, without and with an account, and passes cfn-lint.

Slow (marked ``package``): one wheel, one install (about 2.5 minutes from pip's cache; the versions of
requirements.txt, as constraints), one synth per case (about a minute each). ``make test`` runs it with the rest.
No package index is needed at synth: the function's wheels come from the repository's wheelhouse as if it were
the index (``PIP_FIND_LINKS``, ``PIP_NO_INDEX``), into an empty wheelhouse of the user's, checked by hash.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "node_modules" / ".bin" / "cdk"
ACCOUNT = "111122223333"

pytestmark = pytest.mark.package

USER_APP = """
import os

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks

from cert_cleanup_cdk import CertCleanup

app = cdk.App()
env = cdk.Environment(account=os.getenv("CDK_DEFAULT_ACCOUNT"), region=os.getenv("CDK_DEFAULT_REGION"))
stack = cdk.Stack(app, "SecurityBaseline", env=env)
key = kms.Key(stack, "TeamKey", enable_key_rotation=True)
findings = sns.Topic(stack, "SecurityFindings", master_key=key, enforce_ssl=True)
CertCleanup(stack, "CertCleanup", notification_emails=["secops@example.com"], topic=findings, key=key, grace_days=7)
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
"""


def run(command: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, f"{command[:3]}: {completed.stdout[-3000:]}\n{completed.stderr[-6000:]}"
    return completed


@pytest.fixture(scope="module")
def user_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A user's folder (no clone of this repository on its paths): a virtual environment with the wheel, and app.py."""
    home = tmp_path_factory.mktemp("user")
    clean = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    clean["PATH"] = os.pathsep.join(p for p in clean["PATH"].split(os.pathsep) if not p.startswith(str(ROOT)))
    dist = home / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(ROOT)],
        cwd=home,
        env=clean,
    )
    [wheel] = dist.glob("cert_cleanup-*.whl")
    environment = home / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel),
         "--constraint", str(ROOT / "requirements.txt")],
        cwd=home, env=clean,
    )  # fmt: skip
    app = home / "app"
    app.mkdir()
    (app / "app.py").write_text(USER_APP)
    (app / "cdk.json").write_text(json.dumps({"app": f"{python} app.py"}))
    env = {
        **clean,
        "PATH": f"{environment / 'bin'}{os.pathsep}{clean['PATH']}",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "CERT_CLEANUP_WHEELHOUSE": str(home / "wheels"),  # empty: the first synth downloads
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(ROOT / ".wheelhouse"),  # stands in for the package index
    }
    return app, env


@pytest.mark.parametrize("account", [None, ACCOUNT], ids=["no-account", "account"])
def test_installed_construct_synthesizes_in_a_users_app(
    user_app: tuple[Path, dict[str, str]], account: str | None
) -> None:
    app, env = user_app
    if account:
        env = {**env, "CDK_DEFAULT_ACCOUNT": account, "CDK_DEFAULT_REGION": "eu-west-1"}
    out = app / f"cdk.out.{account or 'none'}"
    # When the user synthesizes (cdk-nag's findings fail it), then it succeeds...
    run([str(CDK), "synth", "--quiet", "--output", str(out)], cwd=app, env=env)
    template = json.loads((out / "SecurityBaseline.template.json").read_text())
    # ...the function publishes to the user's topic...
    [function] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["SNS_TOPIC_ARN"]["Ref"].startswith("SecurityFindings")
    assert variables["GRACE_DAYS"] == "7"
    # ...its asset holds the installed function and its pinned wheels for Lambda...
    [asset] = [path for path in out.glob("asset.*") if path.is_dir()]
    assert (asset / "cert_cleanup" / "handler.py").is_file()
    assert list(asset.glob("pydantic_core/_pydantic_core.cpython-314-aarch64-linux-gnu.so"))
    assert not list(asset.rglob("cert_cleanup_cdk")), "the constructs are not part of the function"
    # ...and cfn-lint finds nothing (W3005: a DependsOn the CDK itself writes)
    lint = [
        str(ROOT / ".venv" / "bin" / "cfn-lint"),
        "--ignore-checks",
        "W3005",
        "--",
        str(out / "SecurityBaseline.template.json"),
    ]
    run(lint, cwd=app, env=env)
    assert (out / "SecurityBaseline.template.json").stat().st_size > 0
    shutil.rmtree(out)
