"""The custom Python operator of the blog "SAP Data Intelligence Python Operators and Cloud
Connector - HTTP", run against scc-sim instead of a DI cluster.

Start the simulator with the blog's world first:
    npx scc-sim up --config config/examples/seed-blog.yaml
then:
    python3 examples/python/blog_http_operator.py
It prints "Generator Start", "Hello World!", "Generator End", as the blog's DI console does.

This file only stands in for Data Intelligence: the connection that DI's connection management
would hand the operator (`api.config.http_connection`, with the gateway's proxy host, port and a
fresh token) and the three `api` calls the blog uses. The operator code is the blog's, unchanged,
in examples/di/blog_operator.py (which examples/di/run_operator.py runs against the simulator's
DI connection view). Settings come from the environment (defaults = seed-blog.yaml).
"""
import base64
import os

import requests

PROXY_HOST = os.environ.get("SCC_SIM_PROXY_HOST", "127.0.0.1")
PROXY_PORT = int(os.environ.get("SCC_SIM_HTTP_PORT", "20003"))
TOKEN_URL = os.environ.get("SCC_SIM_TOKEN_URL", "http://127.0.0.1:8080")
CLIENT_ID = os.environ.get("SCC_SIM_CLIENT_ID", "sb-clone-scc-sim!b1|connectivity!b137")
CLIENT_SECRET = os.environ.get("SCC_SIM_CLIENT_SECRET", "scc-sim-connectivity-secret")


def fetch_token():
    """What DI does for the gateway: a client-credentials token of the connectivity binding."""
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    res = requests.post(f"{TOKEN_URL}/oauth/token", data={"grant_type": "client_credentials"},
                        headers={"Authorization": f"Basic {basic}"}, timeout=10)
    res.raise_for_status()
    return res.json()["access_token"]


class _Logger:
    @staticmethod
    def info(message):
        print(message, flush=True)


class api:  # noqa: N801 - the name DI gives it
    logger = _Logger()

    class config:  # noqa: N801
        http_connection = {
            "configurationType": "Configuration Manager",
            "connectionID": "HELLO_WORLD",
            "connectionProperties": {"host": "virtualhost", "port": 3333, "protocol": "HTTP"},
            "gateway": {"host": PROXY_HOST, "port": PROXY_PORT, "authentication": fetch_token()},
        }

    @staticmethod
    def send(port, data):
        print(data, flush=True)

    @staticmethod
    def add_generator(func):
        func()


# ---- the blog's operator code, unchanged: examples/di/blog_operator.py, run with this `api` ----
OPERATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "di", "blog_operator.py")
with open(OPERATOR, encoding="utf-8") as f:
    exec(compile(f.read(), OPERATOR, "exec"), {"__name__": "__operator__", "api": api})
