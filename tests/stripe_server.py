"""localstripe for the payment tests: a local Stripe API server (PyPI `localstripe`), run
once per test session on a free port when a test asks for it, stopped at the end.

- `localstripe` (session fixture): the running server: `.url` (STRIPE_API_BASE), `.js_url`
  (its fake Stripe.js), `.webhook(url, secret)` (where it posts its signed events),
  `.api(...)` (raw calls, e.g. to confirm a PaymentIntent with a test card).
- `stripe_on` (fixture): the test app configured for it (keys, API base, webhook secret).
- `webhook_catcher` (session fixture): a tiny HTTP server that localstripe posts its signed
  webhooks to, so a test can hand the very bytes and signature to the app's test client.
- `signed(payload, secret)`: a Stripe-Signature header made the way Stripe makes it
  (t=..., v1=HMAC-SHA256(secret, "t.payload")), for events localstripe never sends.

The app always verifies through the stripe library, whoever signed. Test modules import
the fixtures by their function names (`localstripe_fixture`, ...): each is registered
under its short name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SECRET_KEY = "sk_test_convene_localstripe"
PUBLISHABLE_KEY = "pk_test_convene_localstripe"
WEBHOOK_SECRET = "whsec_convene_test_secret"
#: The id under which localstripe keeps our one webhook endpoint; each user re-points it.
WEBHOOK_ID = "convene"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed(payload: str | bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """A Stripe-Signature header for `payload`."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8")
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class LocalStripe:
    def __init__(self, port: int, process: subprocess.Popen):
        self.port = port
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.js_url = f"{self.url}/js.stripe.com/v3/"

    def api(self, method: str, path: str, data: dict | None = None, key: str = SECRET_KEY):
        """A raw call; form-encoded like Stripe's clients (nested keys as a[b])."""
        body = None
        if data is not None:
            body = urllib.parse.urlencode(_flatten(data)).encode()
        request = urllib.request.Request(
            self.url + path,
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text or b"{}")
            except ValueError:
                return error.code, {"raw": text.decode(errors="replace")}

    def webhook(self, url: str, secret: str = WEBHOOK_SECRET, events: list[str] | None = None):
        """Point localstripe's webhook endpoint at `url`, signing with `secret`."""
        data: dict = {"url": url, "secret": secret}
        if events is not None:
            data["events"] = events
        request = urllib.request.Request(
            f"{self.url}/_config/webhooks/{WEBHOOK_ID}",
            data=json.dumps(data).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def silence(self):
        """Send no more events (localstripe cannot delete an endpoint; filter them all)."""
        self.webhook("http://127.0.0.1:9/", events=["convene.none"])

    def pay(self, intent_id: str, card: str = "pm_card_visa"):
        """Attach a test card to the PaymentIntent and confirm it, as Stripe.js would
        (localstripe's confirm takes no payment_method, hence the update first)."""
        status, body = self.api(
            "POST", f"/v1/payment_intents/{intent_id}", {"payment_method": card}
        )
        assert status == 200, body
        return self.api("POST", f"/v1/payment_intents/{intent_id}/confirm", {})

    def card(self, number: str) -> str:
        """A PaymentMethod for a test card number."""
        status, body = self.api(
            "POST",
            "/v1/payment_methods",
            {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
            },
        )
        assert status == 200, body
        return body["id"]


def _flatten(data, prefix=""):
    items = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            items.extend(_flatten(value, name))
        else:
            items.append((name, value))
    return items


def _start() -> LocalStripe:
    try:
        import localstripe  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("localstripe is not installed (pip install -e .[test])")
        pytest.skip("localstripe is not installed")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = LocalStripe(port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"localstripe exited with {process.returncode} at start")
        try:
            with urllib.request.urlopen(server.js_url, timeout=1) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    _stop(process)
    pytest.fail("localstripe did not answer within 30 seconds")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session", name="localstripe")
def localstripe_fixture():
    server = _start()
    try:
        yield server
    finally:
        _stop(server.process)


@pytest.fixture(name="stripe_on")
def stripe_on_fixture(app, localstripe, monkeypatch):
    """Online payment on, against localstripe."""
    for key, value in {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": localstripe.url,
        "STRIPE_JS_URL": localstripe.js_url,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return localstripe


class WebhookCatcher:
    """Keeps what localstripe posts: (body bytes, Stripe-Signature header, event dict)."""

    def __init__(self):
        self.received: list[tuple[bytes, str, dict]] = []
        self.lock = threading.Lock()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    event = json.loads(body)
                except ValueError:
                    event = {}
                with catcher.lock:
                    catcher.received.append((body, self.headers.get("Stripe-Signature", ""), event))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, kind: str, object_id: str, timeout: float = 15) -> tuple[bytes, str, dict]:
        """The first received event of type `kind` about the object `object_id`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for body, signature, event in self.received:
                    obj = (event.get("data") or {}).get("object") or {}
                    if event.get("type") == kind and obj.get("id") == object_id:
                        return body, signature, event
            time.sleep(0.05)
        raise AssertionError(f"localstripe sent no {kind} for {object_id} within {timeout}s")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session", name="webhook_catcher")
def webhook_catcher_fixture():
    catcher = WebhookCatcher()
    yield catcher
    catcher.close()


@pytest.fixture(name="caught")
def caught_fixture(stripe_on, webhook_catcher):
    """localstripe's signed webhooks go to the catcher during the test."""
    stripe_on.webhook(webhook_catcher.url)
    yield webhook_catcher
    stripe_on.silence()
