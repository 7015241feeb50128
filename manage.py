#!/usr/bin/env python3
"""The README's two commands, with nothing but Python 3.11+ and git installed.

    python3 manage.py run    set up (virtual environment, database, demo data) and serve
    python3 manage.py test   set up and run the whole test suite (extra args go to pytest)

Everything lands in .venv/ and instance/ inside the checkout; run it again at any time.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args: str | Path, env: dict | None = None) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if result.returncode:
        sys.exit(result.returncode)


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project when pyproject.toml changed since last time."""
    if sys.version_info < (3, 11):  # noqa: UP036 (this script runs before any install)
        sys.exit("Convene needs Python 3.11 or newer.")
    if not PYTHON.exists():
        say("creating the virtual environment in .venv")
        venv.create(VENV, with_pip=True)
    stamp = VENV / f".installed{extras}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("installing Convene and its dependencies")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".{extras}")
    stamp.write_text(digest)


def flask(*args: str) -> None:
    run(PYTHON, "-m", "flask", "--app", "webapp", *args)


def cmd_run(args: list[str]) -> None:
    ensure_venv("")
    say("bringing the database up to date")
    flask("db", "upgrade")
    say("loading the demo conference")
    flask("convene", "demo")
    port = os.environ.get("PORT", "5000")
    say(f"serving Convene at http://127.0.0.1:{port}/ (Ctrl+C stops it)")
    flask("run", "--host", os.environ.get("HOST", "127.0.0.1"), "--port", port, *args)


def cmd_test(args: list[str]) -> None:
    ensure_venv("[test]")
    say(
        "running the test suite"
        + (
            f" on {os.environ['TEST_DATABASE_URL']}"
            if os.environ.get("TEST_DATABASE_URL")
            else " on SQLite"
        )
    )
    run(PYTHON, "-m", "pytest", *(args or ["-q"]))


def main() -> None:
    commands = {"run": cmd_run, "test": cmd_test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
