"""Background jobs: RQ on Redis when REDIS_URL is set, else a thread of this process.

A job is a registered function `fn(progress, **args)`. A dict it returns is kept as the
run's `result`: a "summary", and the "endpoint" and "args" of the page that shows the
outcome (jobs run without a request, so they cannot build URLs themselves).
`enqueue` records a JobRun and dispatches it only after the caller's transaction commits,
so the job always sees the rows that asked for it. Periodic work registers with
`@periodic`; `run_periodic` (the `tick` command) runs each task once and every task is
idempotent, so running it twice is safe.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from models import JobRun, JobState, User, utcnow

from .extensions import db

log = logging.getLogger(__name__)

JOBS: dict[str, Callable[..., Any]] = {}
PERIODIC: dict[str, Callable[[], Any]] = {}
_PENDING_KEY = "convene_jobs_to_dispatch"


def job(name: str):
    """Register a background job under `name`."""

    def decorate(fn):
        JOBS[name] = fn
        return fn

    return decorate


def periodic(name: str):
    """Register idempotent periodic work run by `convene tick` and the clock."""

    def decorate(fn):
        PERIODIC[name] = fn
        return fn

    return decorate


class Progress:
    """Handed to a job to report how far it got; commits so pages can read it."""

    def __init__(self, run: JobRun):
        self.run = run

    def update(self, done: int, total: int | None = None, message: str | None = None) -> None:
        self.run.done = done
        if total is not None:
            self.run.total = total
        if message is not None:
            self.run.message = message
        db.session.commit()


def enqueue(
    name: str, *, actor: User | None = None, event_id: int | None = None, **args: Any
) -> JobRun:
    """Record a job run; it starts once the current transaction commits."""
    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}")
    run = JobRun(
        name=name,
        args=args,
        created_by_id=actor.id if actor else None,
        event_id=event_id,
    )
    db.session.add(run)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append(run.id)
    return run


def _dispatch(app: Flask, job_ids: list[int]) -> None:
    mode = app.config.get("JOBS_MODE") or ("rq" if app.config["REDIS_URL"] else "thread")
    for job_id in job_ids:
        try:
            if mode == "rq":
                rq_queue(app).enqueue("webapp.jobs.run_job", job_id, job_timeout=3600)
            elif mode == "sync":
                run_job_in(app, job_id)
            else:
                threading.Thread(target=run_job_in, args=(app, job_id), daemon=True).start()
        except Exception:
            log.exception("could not dispatch job %s", job_id)


def rq_queue(app: Flask):
    from redis import Redis
    from rq import Queue

    return Queue("convene", connection=Redis.from_url(app.config["REDIS_URL"]))


# Registered once for every session (not per app): dispatch recorded jobs after commit,
# drop them on rollback.
@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if ids and has_app_context():
        _dispatch(current_app._get_current_object(), ids)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous) -> None:
    if not previous.nested:  # a rolled-back savepoint keeps the outer transaction's jobs
        session.info.pop(_PENDING_KEY, None)


_worker_app: dict[str, Flask] = {}


def run_job(job_id: int) -> None:
    """RQ entry point: the worker builds its own app once, from the environment."""
    if has_app_context():
        _execute(job_id)
        return
    if "app" not in _worker_app:
        from . import create_app

        _worker_app["app"] = create_app()
    run_job_in(_worker_app["app"], job_id)


def run_job_in(app: Flask, job_id: int) -> None:
    """Run one job in a fresh app context (its own database session)."""
    with app.app_context():
        _execute(job_id)


def _execute(job_id: int) -> None:
    # Claim atomically: dispatching the same run twice executes it once.
    claimed = db.session.execute(
        update(JobRun)
        .where(JobRun.id == job_id, JobRun.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    run = db.session.get(JobRun, job_id)
    try:
        result = JOBS[run.name](Progress(run), **run.args)
    except Exception as error:  # noqa: BLE001 - a failed job is recorded, never lost silently
        db.session.rollback()
        run = db.session.get(JobRun, job_id)
        run.state = JobState.FAILED
        run.message = f"{type(error).__name__}: {error}"
        run.finished_at = utcnow()
        db.session.commit()
        log.error("job %s (%s) failed\n%s", job_id, run.name, traceback.format_exc())
        return
    run.state = JobState.DONE
    run.finished_at = utcnow()
    if isinstance(result, dict):
        run.result = result
    db.session.commit()


def run_periodic() -> dict[str, Any]:
    """Run every periodic task once; returns what each reported. One failing task does not
    stop the others."""
    results: dict[str, Any] = {}
    for name, fn in PERIODIC.items():
        try:
            results[name] = fn()
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            log.exception("periodic task %s failed", name)
            results[name] = f"failed: {type(error).__name__}: {error}"
    return results


#: A queued run older than this was lost on its way (Redis down, process restarted).
REDISPATCH_AFTER = timedelta(minutes=5)
#: A running run older than this lost its worker.
ABANDONED_AFTER = timedelta(hours=6)


@periodic("jobs.recover")
def recover_runs() -> dict[str, int]:
    """Dispatch queued runs again and fail runs whose worker died. Dispatching twice is
    harmless: a run is claimed atomically before it executes."""
    now = utcnow()
    stale = list(
        db.session.scalars(
            select(JobRun.id).where(
                JobRun.state == JobState.QUEUED, JobRun.created_at < now - REDISPATCH_AFTER
            )
        )
    )
    abandoned = db.session.execute(
        update(JobRun)
        .where(JobRun.state == JobState.RUNNING, JobRun.started_at < now - ABANDONED_AFTER)
        .values(
            state=JobState.FAILED,
            finished_at=now,
            message="The job stopped without finishing (its worker was lost).",
        )
    ).rowcount
    db.session.commit()
    _dispatch(current_app._get_current_object(), stale)
    return {"redispatched": len(stale), "abandoned": abandoned}


def latest_runs(limit: int = 20, event_id: int | None = None) -> list[JobRun]:
    query = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if event_id is not None:
        query = query.where(JobRun.event_id == event_id)
    return list(db.session.scalars(query))
