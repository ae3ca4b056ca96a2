#!/usr/bin/env python3
"""Runs a SAP Data Intelligence custom Python operator script, unmodified, against scc-sim.

    python3 examples/di/run_operator.py OPERATOR.py --connection http_connection=HELLO_WORLD \\
        [--sim http://127.0.0.1:8080] [--client-id ID --client-secret SECRET]

What DI does for the operator, this runner does with scc-sim:
  - each --connection NAME=ID is fetched from the simulated connection management
    (GET <sim>/app/datahub-app-connection/connections/<ID>, HTTP Basic with a client of the
    subaccount) and becomes `api.config.NAME`: connectionProperties plus the gateway (the HTTP
    proxy's host and port and a fresh connectivity token in gateway.authentication);
  - `api.logger.info|warning|error|debug` print the message on stdout, `api.send(port, data)`
    prints "[port] data", `api.add_generator(f)` runs f once the script has loaded;
  - `api.set_port_callback`, `api.add_timer` and `api.add_shutdown_handler` are accepted and
    ignored (a warning on stderr): no graph feeds the ports here.
The client defaults to SCC_SIM_CLIENT_ID / SCC_SIM_CLIENT_SECRET, else the connectivity client of
config/examples/seed-blog.yaml. Python 3 standard library only (the operator may use requests).
"""
import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_CLIENT_ID = "sb-clone-scc-sim!b1|connectivity!b137"
DEFAULT_CLIENT_SECRET = "scc-sim-connectivity-secret"
CONNECTIONS_PATH = "/app/datahub-app-connection/connections/"


class RunnerError(Exception):
    """A problem of the runner's own (bad arguments, unknown connection): message, exit code 2."""


def warn(message):
    print(f"run_operator: warning: {message}", file=sys.stderr, flush=True)


def fetch_connection(sim, connection_id, client_id, client_secret):
    url = sim.rstrip("/") + CONNECTIONS_PATH + urllib.parse.quote(connection_id, safe="")
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {basic}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace").strip()
        try:
            detail = json.loads(detail).get("message", detail)
        except (ValueError, AttributeError):
            pass
        if err.code == 404:
            raise RunnerError(f"connection '{connection_id}' not found at {sim} (404: {detail})") from None
        raise RunnerError(f"connection '{connection_id}': {url} answered {err.code}: {detail}") from None
    except urllib.error.URLError as err:
        raise RunnerError(f"cannot reach scc-sim at {sim} ({err.reason}); is it running?") from None


class Logger:
    @staticmethod
    def info(message, *args):
        print(message % args if args else message, flush=True)

    @staticmethod
    def debug(message, *args):
        Logger.info(message, *args)

    @staticmethod
    def warning(message, *args):
        Logger.info(message, *args)

    warn = warning

    @staticmethod
    def error(message, *args):
        Logger.info(message, *args)


class Config:
    """`api.config`: one attribute per --connection NAME."""


class Message:
    def __init__(self, body=None, attributes=None):
        self.body = body
        self.attributes = attributes or {}


class Api:
    Message = Message

    def __init__(self, config):
        self.config = config
        self.logger = Logger()
        self.generators = []

    def send(self, port, data):
        body = data.body if isinstance(data, Message) else data
        print(f"[{port}] {body}", flush=True)

    def add_generator(self, func):
        self.generators.append(func)

    def set_port_callback(self, ports, callback):
        warn(f"set_port_callback({ports!r}, …) ignored: no graph sends data to the ports here")

    def add_timer(self, *args):
        warn("add_timer ignored: timers are not run by this runner")

    def add_shutdown_handler(self, *args):
        warn("add_shutdown_handler ignored")


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Run a SAP Data Intelligence Python operator script against scc-sim.")
    parser.add_argument("script", help="the operator script (.py)")
    parser.add_argument("--connection", action="append", default=[], metavar="NAME=ID",
                        help="api.config.NAME = the connection ID from the simulated connection management (repeatable)")
    parser.add_argument("--sim", default=os.environ.get("SCC_SIM_TOKEN_URL", "http://127.0.0.1:8080"),
                        help="scc-sim token service base URL (default %(default)s)")
    parser.add_argument("--client-id", default=os.environ.get("SCC_SIM_CLIENT_ID", DEFAULT_CLIENT_ID))
    parser.add_argument("--client-secret", default=os.environ.get("SCC_SIM_CLIENT_SECRET", DEFAULT_CLIENT_SECRET))
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    config = Config()
    for spec in args.connection:
        name, sep, connection_id = spec.partition("=")
        if not sep or not name.isidentifier() or connection_id == "":
            raise RunnerError(f"--connection {spec!r}: expected NAME=ID, e.g. http_connection=HELLO_WORLD")
        setattr(config, name, fetch_connection(args.sim, connection_id, args.client_id, args.client_secret))
    try:
        with open(args.script, encoding="utf-8") as f:
            source = f.read()
    except OSError as err:
        raise RunnerError(f"cannot read the operator script {args.script}: {err.strerror}") from None
    api = Api(config)
    exec(compile(source, args.script, "exec"), {"__name__": "__main__", "__file__": args.script, "api": api})
    for generator in api.generators:
        generator()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RunnerError as err:
        print(f"run_operator: {err}", file=sys.stderr)
        sys.exit(2)
