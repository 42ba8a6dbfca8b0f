"""The CDK app: the cert-cleanup stack, its constructs (one per concern) and its context."""
