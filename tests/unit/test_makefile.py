"""The Makefile a newcomer reads: `make help` names every target, and the organization targets take the user's
organization or stop naming what is missing (never an example organization)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=False
    )


def phony_targets() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    [line] = re.findall(r"^\.PHONY:(.*)$", text, flags=re.MULTILINE)
    return str(line).split()


def test_help_lists_every_target() -> None:
    listed = set(re.findall(r"^make (\S+)", make("help").stdout, flags=re.MULTILINE))
    assert set(phony_targets()) - {"help"} <= listed
    assert {"install", "unit", "e2e", "lint", "try-cli"} <= listed
    assert listed <= set(phony_targets())  # and nothing that is not a target


@pytest.mark.parametrize(
    ("variables", "missing"),
    [
        ([], "missing: organizationId organizationalUnitIds."),
        (["ORG_ARGS=-c organizationId=o-a1b2c3d4e5"], "missing: organizationalUnitIds."),
        (["CDK_ARGS=-c organizationalUnitIds=ou-ab12-11111111"], "missing: organizationId."),
    ],
)
def test_the_organization_targets_stop_naming_what_is_missing(variables: list[str], missing: str) -> None:
    outcome = make("check-org-args", *variables)
    assert outcome.returncode != 0
    assert f"deploy-org and destroy-org need your organization; {missing}" in outcome.stderr


def test_the_organization_targets_take_the_users_organization() -> None:
    outcome = make("check-org-args", "ORG_ARGS=-c organizationId=o-a1b2c3d4e5 -c organizationalUnitIds=r-ab12")
    assert outcome.returncode == 0, outcome.stderr


@pytest.mark.parametrize("target", ["deploy-org", "destroy-org"])
def test_deploy_org_and_destroy_org_check_first_and_fill_in_no_example(target: str) -> None:
    # `make -n` prints what the target would run: the check before anything else, then the CDK with the user's
    # arguments only (no example organization, no fixed memberRegion)
    outcome = make("-n", target, "ORG_ARGS=-c organizationId=o-a1b2c3d4e5 -c organizationalUnitIds=r-ab12")
    commands = outcome.stdout
    assert commands.index("missing=") < commands.index("cdk")
    [cdk] = [line for line in commands.splitlines() if "node_modules/.bin/cdk" in line]
    assert "o-exampleorg1" not in cdk
    assert "memberRegion" not in cdk
    assert "-c organizationId=o-a1b2c3d4e5 -c organizationalUnitIds=r-ab12" in cdk


def test_no_folder_of_the_root_is_named_like_a_package() -> None:
    # The reason `make install` silences setuptools' editable-install warning about such folders: there are none
    packages = {path.parent.name for path in ROOT.glob("*/*/__init__.py") if path.parts[-3] in ("lambda", "cli")}
    assert {"cert_cleanup", "cert_cleanup_cli"} <= packages
    assert not [name for name in packages if (ROOT / name).exists()]
