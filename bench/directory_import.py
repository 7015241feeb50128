"""Directory CSV import: 5,000 rows with 3 bad ones, into a fresh SQLite database, then the
same file again (every row merged by email). Prints figures; the last line is JSON.

    .venv/bin/python bench/directory_import.py [ROWS]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models import Base
from webapp import create_app
from webapp.directory.importing import import_people
from webapp.extensions import db
from webapp.reference import load_reference_data

GROUPS = ["MS_MIN", "SM", "PRIV", "CSO", "UN", "ACAD"]
COUNTRIES = ["KE", "BR", "CN", "FR", "IN", "EG", "RU", "US", "FJ", "NP"]


def make_csv(rows: int) -> bytes:
    lines = ["email,first_name,last_name,function,organization,constituent_group,country,languages"]
    for i in range(rows):
        lines.append(
            f"person{i}@example.org,First{i},Last{i},Director,Org {i % 400},"
            f"{GROUPS[i % len(GROUPS)]},{COUNTRIES[i % len(COUNTRIES)]},en fr"
        )
    # Three bad rows the import must report and skip.
    lines[10] = "bad-email,A,B,,Org 1,PRIV,KE,en"
    lines[20] = "x20@example.org,A,B,,Org 1,PRIV,XX,en"
    lines[30] = "x30@example.org,A,,,Org 1,PRIV,KE,en"
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3"})
        with app.app_context(), app.test_request_context():
            Base.metadata.create_all(db.engine)
            load_reference_data()
            db.session.commit()
            data = make_csv(rows)
            start = time.perf_counter()
            first = import_people(data, actor=None)
            db.session.commit()
            first_seconds = time.perf_counter() - start
            start = time.perf_counter()
            second = import_people(data, actor=None)
            db.session.commit()
            second_seconds = time.perf_counter() - start
    print(
        f"first import:  {first.created} created, {len(first.errors)} bad rows "
        f"in {first_seconds:.2f} s ({rows / first_seconds:,.0f} rows/s)"
    )
    print(
        f"second import: {second.updated} updated, {second.unchanged} unchanged "
        f"in {second_seconds:.2f} s"
    )
    print(
        json.dumps(
            {
                "rows": rows,
                "bad_rows": len(first.errors),
                "created": first.created,
                "import_seconds": round(first_seconds, 3),
                "reimport_seconds": round(second_seconds, 3),
                "rows_per_second": round(rows / first_seconds),
            }
        )
    )


if __name__ == "__main__":
    main()
