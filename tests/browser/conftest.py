"""Browser tests: the app served on 127.0.0.1 and driven in Debian's Chromium.

Never `playwright install`: the system Chromium is used. Without it the tests skip,
except under CI=true, where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_test_config
from webapp import create_app
from webapp.extensions import db

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def live_server(app):
    """The app with CSRF on, served in a thread on a free port; yields its base URL."""
    live = create_app(
        make_test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            WTF_CSRF_ENABLED=True,
            JOBS_MODE="thread",
            BASE_URL="http://127.0.0.1",
        )
    )
    server = make_server("127.0.0.1", 0, live, threaded=True)
    port = server.server_port
    live.config["BASE_URL"] = f"http://127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    with live.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """Headless system Chromium through Playwright."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium.")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab with its own cookies; fails the test on any request that
    leaves 127.0.0.1 (nothing may load from outside the app)."""
    context = browser.new_context(base_url=live_server, locale="en-GB")
    outside: list[str] = []

    def guard(route):
        outside.append(route.request.url)
        route.abort()

    context.route(
        lambda url: not url.startswith(live_server) and not url.startswith("data:"), guard
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not outside, f"requests left the app: {outside}"
