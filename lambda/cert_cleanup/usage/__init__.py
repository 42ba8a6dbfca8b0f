"""The usage search: who uses a certificate, in every region. One module per service that can use an IAM
server certificate (Classic ELB, ALB/NLB, CloudFront, AppSync); ``search`` runs them all and indexes what
they found. Adding a consumer is one module here, its ``PERMISSIONS`` and its test."""
