"""The retry policy of every task: exponential backoff, capped, then give up.

A failed attempt is retried after 1 s, 2 s, 4 s... doubling up to 30 minutes between attempts;
after 60 attempts (about 25 hours in all) the job stays in the `failed` state. A task raises
`GiveUp` for a failure that no retry can fix (e.g. a mail server refusing a recipient for good).
"""

from __future__ import annotations

from dataclasses import dataclass

from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision


class GiveUp(Exception):
    """A failure that a retry cannot fix: the job fails at once."""


@dataclass(frozen=True)
class Backoff(BaseRetryStrategy):
    first_delay: float = 1.0
    longest_delay: float = 30 * 60.0
    max_attempts: int = 60

    def delay(self, attempts: int) -> float:
        """Seconds before the next attempt, after `attempts` failed ones (0 after the first)."""
        return min(self.first_delay * 2 ** min(attempts, 64), self.longest_delay)

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, GiveUp) or job.attempts + 1 >= self.max_attempts:
            return None
        return RetryDecision(retry_in={"seconds": self.delay(job.attempts)})


DEFAULT_RETRY = Backoff()
