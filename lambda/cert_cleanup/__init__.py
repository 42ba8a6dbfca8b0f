"""cert-cleanup: delete expired IAM server certificates that nothing uses (CIS AWS 1.19, IAM.26)."""

__version__ = "0.1.0"
