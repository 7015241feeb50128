"""Background jobs: in a thread by default, through a real RQ worker with TEST_REDIS_URL."""

import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import JobRun, JobState, utcnow
from webapp import jobs
from webapp.extensions import db


@jobs.job("test.count")
def count_job(progress, n: int, fail: bool = False):
    for i in range(n):
        progress.update(i + 1, n, f"step {i + 1}")
    if fail:
        raise ValueError("boom")


def _wait(job_id, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        run = db.session.get(JobRun, job_id)
        if run.state in (JobState.DONE, JobState.FAILED):
            return run
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_job_runs_after_commit_and_reports_progress(app, ctx):
    run = jobs.enqueue("test.count", n=3)
    db.session.commit()
    run = _wait(run.id)
    assert run.state == JobState.DONE
    assert (run.done, run.total, run.percent) == (3, 3, 100)


def test_job_dropped_on_rollback(app, ctx):
    run_id = jobs.enqueue("test.count", n=1).id
    db.session.rollback()
    assert db.session.get(JobRun, run_id) is None


def test_failed_job_is_recorded(app, ctx):
    run = jobs.enqueue("test.count", n=1, fail=True)
    db.session.commit()
    run = _wait(run.id)
    assert run.state == JobState.FAILED
    assert "boom" in run.message


def test_thread_mode_does_not_hold_the_caller(app, ctx):
    app.config["JOBS_MODE"] = "thread"
    try:
        run = jobs.enqueue("test.count", n=2)
        db.session.commit()
        run = _wait(run.id)
    finally:
        app.config["JOBS_MODE"] = "sync"
    assert run.state == JobState.DONE


def test_running_a_job_twice_runs_it_once(app, ctx):
    run = jobs.enqueue("test.count", n=1)
    db.session.commit()
    _wait(run.id)
    jobs.run_job_in(app, run.id)  # a second dispatch finds it taken
    db.session.expire_all()
    assert db.session.get(JobRun, run.id).done == 1


def test_unknown_job_name(app, ctx):
    with pytest.raises(KeyError):
        jobs.enqueue("no.such.job")


def test_tick_command_is_safe_twice(runner):
    first = runner.invoke(args=["convene", "tick"])
    second = runner.invoke(args=["convene", "tick"])
    assert first.exit_code == second.exit_code == 0
    assert "mail.retry" in first.output


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL not set")
def test_job_through_a_real_rq_worker(app, ctx):
    from redis import Redis
    from rq import SimpleWorker

    url = os.environ["TEST_REDIS_URL"]
    app.config.update(JOBS_MODE="rq", REDIS_URL=url)
    try:
        queue = jobs.rq_queue(app)
        queue.empty()
        run = jobs.enqueue("test.count", n=4)
        db.session.commit()
        assert queue.count == 1
        db.session.expire_all()
        assert db.session.get(JobRun, run.id).state == JobState.QUEUED
        worker = SimpleWorker([queue], connection=Redis.from_url(url))
        assert worker.work(burst=True)
        run = _wait(run.id)
    finally:
        app.config.update(JOBS_MODE="sync", REDIS_URL="")
    assert run.state == JobState.DONE
    assert run.done == 4
    assert db.session.scalars(select(JobRun)).all()


def test_lost_and_abandoned_runs_are_recovered(app, ctx):
    from datetime import timedelta

    from models import utcnow

    app.config["JOBS_MODE"] = "rq"  # dispatch fails: no Redis configured
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        lost = jobs.enqueue("test.count", n=2)
        db.session.commit()  # the dispatch error is logged, not raised
    finally:
        app.config.update(JOBS_MODE="sync", REDIS_URL="")
    assert db.session.get(JobRun, lost.id).state == JobState.QUEUED
    stuck = JobRun(
        name="test.count",
        args={"n": 1},
        state=JobState.RUNNING,
        started_at=utcnow() - timedelta(days=1),
    )
    db.session.add(stuck)
    lost.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    result = jobs.run_periodic()["jobs.recover"]
    assert result == {"redispatched": 1, "abandoned": 1}
    db.session.expire_all()
    assert db.session.get(JobRun, lost.id).state == JobState.DONE
    assert db.session.get(JobRun, stuck.id).state == JobState.FAILED


def test_a_failing_periodic_task_does_not_stop_the_others(app, ctx, monkeypatch):
    def broken():
        raise RuntimeError("broken task")

    monkeypatch.setitem(jobs.PERIODIC, "test.broken", broken)
    results = jobs.run_periodic()
    assert results["test.broken"].startswith("failed: RuntimeError")
    assert "mail.retry" in results and "jobs.recover" in results


def test_savepoint_rollback_keeps_the_outer_jobs(app, ctx):
    run = jobs.enqueue("test.count", n=1)
    with db.session.begin_nested() as savepoint:
        savepoint.rollback()
    db.session.commit()
    assert _wait(run.id).state == JobState.DONE


def test_a_job_that_ended_before_its_page_still_leads_to_its_result(app, client, make_user):
    """A fast job may end before its page is shown: for the user who started it the bar
    still polls once and opens the result; a job that ended long ago only links to it."""
    from tests.conftest import PASSWORD

    user_id = make_user("runner@example.org", admin=True)
    with app.app_context():
        result = {"summary": "2 rows", "endpoint": "admin.index", "args": {}}
        fresh = JobRun(
            name="test.count",
            state=JobState.DONE,
            result=result,
            created_by_id=user_id,
            finished_at=utcnow(),
        )
        old = JobRun(
            name="test.count",
            state=JobState.DONE,
            result=result,
            created_by_id=user_id,
            finished_at=utcnow() - timedelta(hours=1),
        )
        db.session.add_all([fresh, old])
        db.session.commit()
        fresh_id, old_id = fresh.id, old.id
    client.post("/account/login", data={"email": "runner@example.org", "password": PASSWORD})
    fresh_page = client.get(f"/jobs/{fresh_id}").get_data(as_text=True)
    old_page = client.get(f"/jobs/{old_id}").get_data(as_text=True)
    assert "data-job-url" in fresh_page and "See the result" in fresh_page
    assert "data-job-url" not in old_page and "See the result" in old_page
