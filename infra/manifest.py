"""Check what a cloud assembly was synthesized for: ``python -m infra.manifest --region R DIR...``.

The CDK CLI decides the app's region itself (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile; us-east-1 when
none), overwriting a ``CDK_DEFAULT_REGION`` the caller exported. So "synthesized as in cn-north-1" is true only
when the manifest says so: every stack of the assembly (``aws:cloudformation:stack`` artifacts) must carry
``aws://unknown-account/<region>``. The account is ``unknown-account`` on purpose: app.py pins only the region,
and the templates say ``${AWS::AccountId}``, so a template is the same whoever synthesizes it (and the CLI,
without credentials, knows no account to give).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# app.py pins no account (see above): the manifest says so with this placeholder.
ACCOUNT = "unknown-account"
STACK_TYPE = "aws:cloudformation:stack"


def environments(directory: Path) -> dict[str, str]:
    """Each stack artifact of the cloud assembly in ``directory`` and its environment (``aws://account/region``)."""
    manifest = json.loads((directory / "manifest.json").read_text())
    return {
        name: artifact.get("environment", "")
        for name, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == STACK_TYPE
    }


def problems(directory: Path, region: str) -> list[str]:
    """What in ``directory`` is not synthesized for ``region`` (empty when all is); no stack at all is one."""
    found = environments(directory)
    if not found:
        return [f"{directory}: no stack in the cloud assembly"]
    expected = f"aws://{ACCOUNT}/{region}"
    return [
        f"{directory}: stack {name} is synthesized for {environment!r}, not {expected!r}"
        for name, environment in found.items()
        if environment != expected
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", required=True, help="the region every stack must be synthesized for")
    parser.add_argument("directories", nargs="+", type=Path, help="cloud assembly directories (cdk synth -o DIR)")
    arguments = parser.parse_args(argv)
    found = [problem for directory in arguments.directories for problem in problems(directory, arguments.region)]
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if not found:
        print(f"every stack is synthesized for aws://{ACCOUNT}/{arguments.region}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
