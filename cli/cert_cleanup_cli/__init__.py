"""The ``cert-cleanup`` command: the function's run with your own credentials. Not part of the function's
bundle (it lives outside ``lambda/``)."""
