"""The CDK app's infrastructure, and the construct library ``cert_cleanup_cdk`` (this folder, as the wheel installs it).

``from cert_cleanup_cdk import CertCleanup, CertCleanupOrganization``: loaded on first use, so that the modules
which start no Node.js (wheels.py, schedule.py) stay free of the CDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .account import CertCleanup
    from .arguments import ArgumentError
    from .organization import CertCleanupOrganization

__all__ = ["ArgumentError", "CertCleanup", "CertCleanupOrganization"]


def __getattr__(name: str) -> Any:
    if name == "CertCleanup":
        from .account import CertCleanup

        return CertCleanup
    if name == "CertCleanupOrganization":
        from .organization import CertCleanupOrganization

        return CertCleanupOrganization
    if name == "ArgumentError":
        from .arguments import ArgumentError

        return ArgumentError
    raise AttributeError(name)
