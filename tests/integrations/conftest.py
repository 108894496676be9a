"""Fixtures for the integrations: service tokens by scope, and a real HTTP receiver on 127.0.0.1."""

import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from accounts.models import ServiceAccount
from accounts.services import token_issue
from tests.conftest import bearer


@pytest.fixture
def service_api(db):
    """service_api(scope) gives an API client holding a fresh service token with that scope."""

    def make(scope, name="HRIS"):
        account, _ = ServiceAccount.objects.get_or_create(name=name)
        token, plain = token_issue(service_account=account, scope=scope)
        client = bearer(APIClient(), plain)
        client.token = token
        client.service_account = account
        return client

    return make


def verify_signature(secret, headers, body):
    """What a receiver does: recompute v1 over f"{timestamp}.{body}" and compare in constant time."""
    timestamp = headers["Webhook-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    offered = [part.strip().removeprefix("v1=") for part in headers["Webhook-Signature"].split(",")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


class Receiver:
    """A webhook receiver: records every POST; answers `status` after sleeping `delay` seconds."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.delay = 0.0
        self.body = b"ok"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                if receiver.delay:
                    time.sleep(receiver.delay)
                try:
                    self.send_response(receiver.status)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(receiver.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def json(self, index=-1):
        return json.loads(self.requests[index]["body"])

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def down_url():
    """An address where nothing listens: connections are refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/hooks"
