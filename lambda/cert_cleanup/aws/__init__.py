"""AWS, one module per service the run writes to or reads its account from: clients (retries, failures),
IAM (the certificates), S3 (the archive), AWS Config (IAM.26's rule), Lambda (the function's own deploy time).

Each module declares the IAM permissions its calls need (``PERMISSIONS``); the stack grants exactly those.
"""
