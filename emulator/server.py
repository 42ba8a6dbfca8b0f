"""moto's server on 127.0.0.1 with the AWS-behaviour patches, run as its own process.

``python -m emulator.server`` binds a free port (or ``--port``), prints ``READY http://127.0.0.1:PORT``
and serves until terminated. Besides moto's own ``/moto-api/`` it answers:

- ``POST /emulator/settings`` (JSON): set :class:`emulator.aws_fakes.FakeSettings` knobs;
- ``POST /emulator/reset``: reset moto and the knobs.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any

from emulator import aws_fakes

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def control_middleware(app: WsgiApp) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/emulator/settings" and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
            for name, value in payload.items():
                if not hasattr(aws_fakes.SETTINGS, name):
                    start_response("400 Bad Request", [("Content-Type", "text/plain")])
                    return [f"unknown setting {name}".encode()]
                setattr(aws_fakes.SETTINGS, name, value)
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"{}"]
        if path == "/emulator/reset" and environ.get("REQUEST_METHOD") == "POST":
            aws_fakes.reset()
            return app({**environ, "PATH_INFO": "/moto-api/reset"}, start_response)
        return app(environ, start_response)

    return wrapped


def build_app() -> WsgiApp:
    aws_fakes.install()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app: WsgiApp = DomainDispatcherApplication(create_backend_app)
    return control_middleware(app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    args = parser.parse_args(argv)

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", args.port, build_app(), threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
