"""Public pledge registry at 1,000 and 10,000 published pledges, each in a fresh SQLite
database: SQL query counts of the registry page with three filters, the statistics page
and /api/v1/pledges (they must not grow with the data); median and p95 times of each at
10,000 (30 requests each through the test client); the time to export all 10,000 as CSV.
The last line is JSON.

    .venv/bin/python bench/pledges.py [REQUESTS]
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
for name in ("DATABASE_URL", "REDIS_URL", "SENDGRID_API_KEY"):
    os.environ.pop(name, None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from models import (  # noqa: E402
    Base,
    Country,
    Event,
    Organization,
    Pledge,
    PledgerSector,
    PledgeState,
    PledgeTag,
    PledgeType,
    ReferenceItem,
)
from pledges.core import BENEFICIARY_GROUPS  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.reference import load_reference_data  # noqa: E402

PAGES = {
    "registry": "/pledges?focus_area=ACCESS&ldc=1&sdg=SDG9",
    "statistics": "/pledges/statistics",
    "api": "/api/v1/pledges?per_page=100",
}


def populate(n: int) -> None:
    """`n` published pledges from n/20 organizations, tags spread like the coalition's:
    1–2 focus areas, 1–3 SDGs, 1–5 of ~150 countries (LDCs more often), groups, KAP."""
    rng = random.Random(42)
    opening = date(2026, 11, 10)
    event = Event(
        name="Bench Conference",
        acronym="WTDC-B",
        city="Baku",
        timezone="UTC",
        opening_date=opening,
        closing_date=opening + timedelta(days=9),
        languages=["en"],
    )
    db.session.add(event)
    countries = list(db.session.scalars(select(Country).order_by(Country.iso2)))[:150]
    ldcs = [c.iso2 for c in countries if c.ldc]
    codes = {c.iso2 for c in countries}
    orgs = [
        Organization(name=f"Organization {i}", country_iso2=rng.choice(sorted(codes)))
        for i in range(max(1, n // 20))
    ]
    db.session.add_all(orgs)
    db.session.flush()
    items = {
        kind: list(db.session.scalars(select(ReferenceItem.code).where(ReferenceItem.kind == kind)))
        for kind in ("focus_area", "sdg", "kap_priority", "regional_initiative")
    }
    sectors, types = list(PledgerSector), list(PledgeType)
    published = datetime(2025, 11, 20, tzinfo=UTC)
    pledges, tags = [], []
    for i in range(n):
        usd = rng.choice([None, rng.randint(10_000, 50_000_000)])
        pledges.append(
            {
                "id": i + 1,
                "event_id": event.id,
                "organization_id": orgs[i % len(orgs)].id,
                "public_id": f"P2C-2025-{i + 1:05d}",
                "title": f"Pledge {i}: connectivity for schools and clinics",
                "description": "Deploy last-mile connectivity and digital skills. " * 3,
                "pledge_type": rng.choice(types).value,
                "sector": rng.choice(sectors).value,
                "pillars": [],
                "smart": {},
                "people_to_reach": rng.randint(100, 1_000_000),
                "amount": usd,
                "currency": "USD" if usd else None,
                "usd_value": usd,
                "usd_rate": 1 if usd else None,
                "usd_rate_date": date(2025, 11, 1) if usd else None,
                "state": PledgeState.PUBLISHED.value if i % 10 else PledgeState.COMPLETED.value,
                "published_at": published - timedelta(minutes=i),
                "announced_session": "",
            }
        )
        chosen = {
            "focus_area": rng.sample(items["focus_area"], rng.randint(1, 2)),
            "sdg": rng.sample(items["sdg"], rng.randint(1, 3)),
            "kap_priority": rng.sample(items["kap_priority"], 1),
            "regional_initiative": rng.sample(items["regional_initiative"], rng.randint(0, 1)),
            "beneficiary_group": rng.sample(sorted(BENEFICIARY_GROUPS), rng.randint(0, 2)),
            "country": list(
                {
                    rng.choice(ldcs) if rng.random() < 0.35 else rng.choice(sorted(codes))
                    for _ in range(rng.randint(1, 5))
                }
            ),
        }
        tags.extend(
            {"pledge_id": i + 1, "kind": kind, "code": code}
            for kind, kind_codes in chosen.items()
            for code in kind_codes
        )
    # The enum columns store values; bulk inserts go through the table, not the ORM.
    db.session.execute(insert(Pledge.__table__), pledges)
    db.session.execute(insert(PledgeTag.__table__), tags)
    db.session.commit()


def count_queries(client, url: str) -> int:
    """SQL statements run by one GET of `url`."""
    seen = []

    def count(*_args):
        seen.append(1)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def timings(client, url: str, requests: int) -> tuple[float, float]:
    """Median and p95 in milliseconds of `requests` GETs of `url`."""
    client.get(url)  # warm caches
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def run(n: int, requests: int, tmp: str) -> dict:
    """Build a database of `n` pledges and measure it."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/pledges-{n}.sqlite3",
            "JOBS_MODE": "sync",
            "BASE_URL": "http://localhost",
        }
    )
    out: dict = {"n": n}
    with app.app_context():
        Base.metadata.create_all(db.engine)
        load_reference_data()
        db.session.commit()
        start = time.perf_counter()
        populate(n)
        print(f"{n:>6} pledges inserted in {time.perf_counter() - start:.1f} s")
        client = app.test_client()
        out["queries"] = {name: count_queries(client, url) for name, url in PAGES.items()}
        print(f"{n:>6} pledges: queries {out['queries']}")
        if requests:
            out["median_ms"], out["p95_ms"] = {}, {}
            for name, url in PAGES.items():
                median, p95 = timings(client, url, requests)
                out["median_ms"][name], out["p95_ms"][name] = round(median, 1), round(p95, 1)
                print(f"{n:>6} pledges: {name:<10} median {median:7.1f} ms  p95 {p95:7.1f} ms")
            start = time.perf_counter()
            response = client.get("/pledges/export.csv")
            out["csv_export_s"] = round(time.perf_counter() - start, 2)
            rows = response.get_data(as_text=True).count("\r\n") - 1
            assert response.status_code == 200 and rows == n, rows
            print(f"{n:>6} pledges: CSV export of {rows} rows in {out['csv_export_s']} s")
        db.session.remove()
        db.engine.dispose()
    return out


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        small = run(1_000, 0, tmp)
        large = run(10_000, requests, tmp)
    print(
        json.dumps(
            {
                "queries_1k": small["queries"],
                "queries_10k": large["queries"],
                "median_ms": large["median_ms"],
                "p95_ms": large["p95_ms"],
                "csv_export_s": large["csv_export_s"],
                "requests": requests,
            }
        )
    )


if __name__ == "__main__":
    main()
