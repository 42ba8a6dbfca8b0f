"""Telling people and machines: ``when`` (whether a person should read a run, and why), ``message`` (the
subject, the email and the JSON), ``publish`` (to SNS)."""
