"""Local stand-ins for outside services: a SendGrid v3 endpoint on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSendGrid:
    """Records POST /v3/mail/send bodies; answers with the queued statuses in order."""

    def __init__(self):
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.statuses: list[int] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                status = fake.statuses.pop(0) if fake.statuses else 202
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                if status >= 400:
                    self.wfile.write(json.dumps({"errors": [{"message": "fake"}]}).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def personalizations(self) -> list[dict]:
        return [p for r in self.requests for p in r["personalizations"]]
