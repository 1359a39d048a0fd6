"""The retry policy: exponential backoff, capped, a limited number of attempts."""

from __future__ import annotations

from procrastinate.jobs import Job

from bemserver.jobs.retry import Backoff, GiveUp


def job(attempts: int) -> Job:
    return Job(id=1, queue="default", lock=None, queueing_lock=None, task_name="t", attempts=attempts)


def test_delays_double_from_one_second_up_to_thirty_minutes():
    backoff = Backoff()
    assert [backoff.delay(n) for n in range(5)] == [1, 2, 4, 8, 16]
    assert backoff.delay(11) == 1800
    assert backoff.delay(10_000) == 1800


def test_a_failure_is_retried_until_the_last_attempt():
    backoff = Backoff(max_attempts=3)
    assert backoff.get_retry_decision(exception=OSError(), job=job(0)) is not None
    assert backoff.get_retry_decision(exception=OSError(), job=job(1)) is not None
    assert backoff.get_retry_decision(exception=OSError(), job=job(2)) is None


def test_give_up_is_never_retried():
    assert Backoff().get_retry_decision(exception=GiveUp(), job=job(0)) is None


def test_the_default_policy_keeps_trying_about_a_day():
    backoff = Backoff()
    total = sum(backoff.delay(n) for n in range(backoff.max_attempts - 1))
    assert 24 * 3600 < total < 26 * 3600
