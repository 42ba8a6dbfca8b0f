"""AWS, one module per service the run writes to or reads its account from: clients (retries, failures, the
caller's account), IAM (the certificates), S3 (the archive), AWS Config (IAM.26's rule), Lambda (the function's
own deploy time), Security Hub (the IAM.26 findings). The usage search's calls are in ``usage/``, the summary's
SNS publish in ``notify/publish.py``, the digest's SQS and S3 in ``org/``.

Each module declares the IAM permissions its calls need (``PERMISSIONS``); the stack grants exactly those.
"""
