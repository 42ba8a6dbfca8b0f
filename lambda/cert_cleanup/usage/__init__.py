"""The usage search: who uses a certificate, in every region. One module per service that can use an IAM
server certificate (Classic ELB, ALB/NLB, CloudFront, AppSync); ``search`` runs those listed in its ``CONSUMERS``
and indexes what they found. Adding a consumer: docs/development.md, "Adding a consumer"."""
