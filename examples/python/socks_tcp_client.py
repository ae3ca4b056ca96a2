"""A TCP client that reaches an on-premise system through the connectivity proxy's SOCKS5 port,
with nothing but Python's standard library: the SAP authentication method 0x80 by hand.

Start the simulator with the default world first:
    npx scc-sim up
then:
    python3 examples/python/socks_tcp_client.py
It sends one line to the echo system echo.onprem:7 and prints what comes back.

The handshake (all integers big-endian):
    greeting       05 01 80                       -> 05 80
    authentication 01 len32 JWT len8 b64(location) -> 01 00    (no location: a single 00 after the JWT)
    CONNECT        05 01 00 03 len host port16    -> 05 REP 00 ATYP BND.ADDR BND.PORT
after which the socket is a plain TCP connection to the on-premise system.

Settings come from the environment (defaults = config/scc-sim.yaml):
    SCC_SIM_PROXY_HOST, SCC_SIM_SOCKS5_PORT       where the proxy listens
    SCC_SIM_TOKEN                                 an access token; if unset, one is fetched from
    SCC_SIM_TOKEN_URL, SCC_SIM_CLIENT_ID, SCC_SIM_CLIENT_SECRET  (client credentials)
    SCC_SIM_LOCATION_ID                           the Cloud Connector's location ID ('' = default)
    SCC_SIM_TARGET_HOST, SCC_SIM_TARGET_PORT      the virtual host and port (echo.onprem:7)
    SCC_SIM_MESSAGE                               the line to send
"""
import base64
import json
import os
import socket
import sys
import urllib.parse
import urllib.request

PROXY_HOST = os.environ.get("SCC_SIM_PROXY_HOST", "127.0.0.1")
SOCKS5_PORT = int(os.environ.get("SCC_SIM_SOCKS5_PORT", "20004"))
TOKEN_URL = os.environ.get("SCC_SIM_TOKEN_URL", "http://127.0.0.1:8080")
CLIENT_ID = os.environ.get("SCC_SIM_CLIENT_ID", "sb-clone-scc-sim!b1|connectivity!b137")
CLIENT_SECRET = os.environ.get("SCC_SIM_CLIENT_SECRET", "scc-sim-connectivity-secret")
LOCATION_ID = os.environ.get("SCC_SIM_LOCATION_ID", "")
TARGET_HOST = os.environ.get("SCC_SIM_TARGET_HOST", "echo.onprem")
TARGET_PORT = int(os.environ.get("SCC_SIM_TARGET_PORT", "7"))
MESSAGE = os.environ.get("SCC_SIM_MESSAGE", "Hello from Python through the Cloud Connector")

REPLY_CODES = {
    0x01: "general failure",
    0x02: "connection not allowed by ruleset (no matching TCP mapping in the Cloud Connector)",
    0x03: "network unreachable (no Cloud Connector connected for this location ID)",
    0x04: "host unreachable (the Cloud Connector cannot reach the backend)",
    0x05: "connection refused (authentication)",
    0x07: "command not supported",
    0x08: "address type not supported",
}


def fetch_token():
    """A client-credentials token of the connectivity service binding."""
    user = urllib.parse.quote(CLIENT_ID, safe="")
    password = urllib.parse.quote(CLIENT_SECRET, safe="")
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    req = urllib.request.Request(
        f"{TOKEN_URL}/oauth/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.load(res)["access_token"]


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"the proxy closed the connection after {len(data)} of {n} bytes: {data.hex()}")
        data += chunk
    return data


def open_socks_connection(token, location_id, host, port):
    sock = socket.create_connection((PROXY_HOST, SOCKS5_PORT), timeout=10)
    # 1. greeting: SOCKS 5, one method, 0x80 (SAP)
    sock.sendall(b"\x05\x01\x80")
    choice = recv_exactly(sock, 2)
    if choice != b"\x05\x80":
        raise ConnectionError(f"the proxy did not choose method 0x80: {choice.hex()}")
    # 2. SAP authentication: the JWT and the base64 location ID
    jwt = token.encode("ascii")
    location = base64.b64encode(location_id.encode()) if location_id else b""
    sock.sendall(b"\x01" + len(jwt).to_bytes(4, "big") + jwt + len(location).to_bytes(1, "big") + location)
    status = recv_exactly(sock, 2)
    if status != b"\x01\x00":
        raise ConnectionError(f"authentication failed: {status.hex()}")
    # 3. CONNECT to the virtual host and port, address type 03 (domain name)
    name = host.encode("ascii")
    sock.sendall(b"\x05\x01\x00\x03" + len(name).to_bytes(1, "big") + name + port.to_bytes(2, "big"))
    reply = recv_exactly(sock, 10)  # the proxy always binds IPv4 0.0.0.0:0
    if reply[1] != 0x00:
        code = reply[1]
        raise ConnectionError(f"CONNECT refused: REP {code:02x} ({REPLY_CODES.get(code, 'unknown')})")
    return sock


def main():
    token = os.environ.get("SCC_SIM_TOKEN") or fetch_token()
    try:
        sock = open_socks_connection(token, LOCATION_ID, TARGET_HOST, TARGET_PORT)
    except ConnectionError as err:
        print(err, file=sys.stderr)
        return 1
    with sock:
        sock.sendall((MESSAGE + "\n").encode())
        line = b""
        while not line.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            line += chunk
    print(line.decode().rstrip("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
