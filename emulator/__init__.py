"""A local AWS for the demo, the end-to-end tests and the benchmark: moto, plus what this job needs.

``aws_fakes.install()`` patches moto so the APIs cert-cleanup depends on behave like AWS;
``server`` runs moto's server on 127.0.0.1 with those patches; ``seed`` builds believable accounts.
"""
