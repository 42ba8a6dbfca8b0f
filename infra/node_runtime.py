"""The Node.js the CDK runs on: one readable line when it is past end of life.

Imports nothing of the CDK: it runs before ``aws_cdk`` starts its Node.js process. jsii prints its own
end-of-life banner through its Python runtime, which writes lines that are not JSON as raw Python bytes
(``b'!!  Node 20 is end-of-life ...'``); this says the same once, as text, and silences the banner.
"""

from __future__ import annotations

import os
import subprocess
import sys

SUPPORTED_MAJOR = 22  # the CDK CLI and jsii support Node.js 22 and 24
SILENCE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"


def node_major(node: str) -> tuple[int, str] | None:
    """The major version and full version string of ``node``; None if it cannot be run."""
    try:
        version = subprocess.run(  # noqa: S603 (the node the CDK itself runs, with a fixed argument)
            [node, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    version = version.strip()
    try:
        return int(version.lstrip("v").split(".")[0]), version
    except ValueError:
        return None


def notice_old_node(environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """Print (and return) one line on stderr when Node.js is older than the supported releases, and keep jsii
    from printing its banner as bytes. Nothing when Node.js is supported, or the user silenced the warning."""
    found = node_major(environ.get("JSII_NODE", "node"))
    if found is None:
        return None
    major, version = found
    silenced = [item.strip() for item in environ.get(SILENCE, "").split(",") if item.strip()]
    if major >= SUPPORTED_MAJOR or str(major) in silenced:
        return None
    line = (
        f"cert-cleanup: Node.js {version} is past its end of life; the CDK supports Node.js {SUPPORTED_MAJOR} "
        "or later. Synth and deploy still work on it: upgrade when you can."
    )
    print(line, file=sys.stderr)
    environ[SILENCE] = ",".join([*silenced, str(major)])
    return line


def main() -> None:
    """``python -m infra.node_runtime``: the notice (stderr), then on stdout the value of the silencing variable,
    for a Makefile recipe that runs the CDK several times to export, so the notice is said once."""
    environ = dict(os.environ)
    notice_old_node(environ)
    print(environ.get(SILENCE, ""))


if __name__ == "__main__":
    main()
