"""A real server subprocess and an HTTP client that logs in and streams uploads to it."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyotp

from tests.helpers import form_inputs

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(config: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.serve_app", json.dumps(config), str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


class LiveClient:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict) -> None:
        data = urllib.parse.urlencode(fields).encode()
        self.opener.open(self.base + path, data=data).read()

    def login(self, username: str, password: str, seed: str) -> None:
        token = form_inputs(self.get("/login"))["csrf_token"]
        self.post("/login", {"username": username, "password": password, "ack": "y",
                             "csrf_token": token})  # fmt: skip
        token = form_inputs(self.get("/login/verify"))["csrf_token"]
        self.post("/login/verify", {"code": pyotp.TOTP(seed).now(), "csrf_token": token})

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def stream_upload(
        self, case_id: int, chunks: Iterator[bytes], size: int, fields: dict[str, str]
    ) -> http.client.HTTPConnection:
        """Start a multipart upload of `size` bytes; the connection is returned open after
        sending the body (read its response), so callers can interrupt it from `chunks`."""
        token = form_inputs(self.get(f"/cases/{case_id}/evidence/upload"))["csrf_token"]
        boundary = "caseflowboundary7d9"
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in {"csrf_token": token, **fields}.items()
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.putrequest("POST", f"/cases/{case_id}/evidence/upload")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
        conn.putheader("Cookie", self.cookie_header())
        try:
            conn.endheaders()
            conn.send(head)
            for chunk in chunks:
                conn.send(chunk)
            conn.send(tail)
        except BaseException:
            conn.close()
            raise
        return conn
