"""When to retry a request, and how long to wait first: plain functions, no I/O.

The client asks ``decide(status_or_exc, attempt, policy)`` after each attempt
and, on a retry, waits ``delay(...)``: the server's ``Retry-After`` when it gave
one, else exponential backoff with full jitter. Randomness and the current time
are parameters, so these rules are tested without waiting.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime

import requests

from omninb.errors import HTTPError

__all__ = [
    "Decision",
    "RetryPolicy",
    "backoff_delay",
    "decide",
    "delay",
    "maybe_delivered",
    "retry_after_seconds",
]

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Failures where no answer arrived. A failed token fetch arrives as the
# omninb HTTPError it was turned into, and is judged by its status.
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    ConnectionError,
    TimeoutError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, and the backoff's base and cap in seconds.

    Attributes:
        max_attempts: attempts in all, the first included (1 = never retry).
        base: backoff ceiling of the first retry; doubles with each attempt.
        cap: no backoff ceiling exceeds this.
        max_retry_after: longest Retry-After honoured; a longer one is cut to this.
        statuses: HTTP statuses worth retrying.
    """

    max_attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0
    statuses: frozenset[int] = field(default=_RETRY_STATUSES)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(
                f"RetryPolicy.max_attempts must be at least 1, not {self.max_attempts}"
            )
        if not (0 <= self.base <= self.cap):
            raise ValueError(
                f"RetryPolicy needs 0 <= base <= cap, got base={self.base}, cap={self.cap}"
            )


@dataclass(frozen=True)
class Decision:
    """The verdict on one failed attempt.

    Attributes:
        retry: True to try again.
        reason: why, in words fit for a log line or an error message.
    """

    retry: bool
    reason: str


def backoff_delay(attempt: int, *, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Full-jitter backoff before retry number ``attempt`` (1 = first retry).

    Uniform in [0, min(cap, base * 2**(attempt-1))): spreads retries of many
    clients apart instead of synchronising them.

    Example:
        >>> backoff_delay(3, base=0.5, cap=30.0, rand=lambda: 0.5)
        1.0
        >>> backoff_delay(20, base=0.5, cap=30.0, rand=lambda: 0.999)
        29.97

    Raises:
        ValueError: attempt is below 1.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, not {attempt}")
    # Float powers, exponent bounded: 2.0**1023 is finite and an overflowing product is
    # inf (never an error), so min() still yields the cap, and base=0 still yields 0.
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 1023))
    return ceiling * rand()


def retry_after_seconds(header: str | None, *, now: float) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait, or None if absent or unreadable.

    Both forms of RFC 9110 are read: delta-seconds (``"3"``) and an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``, compared with ``now``, epoch seconds).
    A date in the past means "now" (0.0). Garbage gives None so the caller
    falls back to backoff.

    Example:
        >>> retry_after_seconds("2", now=0.0)
        2.0
        >>> retry_after_seconds("Thu, 01 Jan 1970 00:01:00 GMT", now=30.0)
        30.0
        >>> retry_after_seconds("soon", now=0.0) is None
        True

    Raises:
        Nothing.
    """
    text = (header or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        return _http_date_seconds(text, now)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _http_date_seconds(text: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" parses zone-less; RFC 9110 dates are UTC anyway
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _status_of(outcome: int | BaseException) -> int | None:
    if isinstance(outcome, int):
        return outcome
    if isinstance(outcome, HTTPError):
        return outcome.status_code
    return None


def decide(outcome: int | BaseException, attempt: int, policy: RetryPolicy) -> Decision:
    """Retry or give up after attempt number ``attempt`` ended with ``outcome``.

    ``outcome`` is the HTTP status of the answer, or the exception raised when
    no answer came. Retried: the policy's statuses (429, 500, 502, 503, 504) and
    transport failures (connection refused, reset or closed, timeouts), until
    ``policy.max_attempts`` attempts were made. Other statuses are final.

    Example:
        >>> decide(503, 1, RetryPolicy()).retry
        True
        >>> decide(400, 1, RetryPolicy()).reason
        'HTTP 400 is not retryable'
        >>> decide(503, 6, RetryPolicy(max_attempts=6)).retry
        False

    Raises:
        Nothing.
    """
    status = _status_of(outcome)
    if isinstance(outcome, BaseException) and status is None:
        if not isinstance(outcome, (*_TRANSPORT_ERRORS, HTTPError)):
            return Decision(False, f"{type(outcome).__name__} is not a transport failure")
        what = f"no answer ({type(outcome).__name__})"
    elif status in policy.statuses:
        what = f"HTTP {status}"
    else:
        return Decision(False, f"HTTP {status} is not retryable")
    if attempt >= policy.max_attempts:
        return Decision(False, f"{what} after {attempt} attempts; giving up")
    return Decision(True, f"{what} on attempt {attempt}; retrying")


def delay(
    attempt: int,
    policy: RetryPolicy,
    *,
    retry_after: float | None = None,
    rand: Callable[[], float],
) -> float:
    """Seconds to wait before the next attempt: Retry-After if given, else backoff.

    Example:
        >>> delay(1, RetryPolicy(), retry_after=2.0, rand=lambda: 0.0)
        2.0
        >>> delay(2, RetryPolicy(base=1.0), rand=lambda: 0.5)
        1.0

    Raises:
        ValueError: attempt is below 1.
    """
    if retry_after is not None:
        return min(retry_after, policy.max_retry_after)
    return backoff_delay(attempt, base=policy.base, cap=policy.cap, rand=rand)


def maybe_delivered(exc: BaseException) -> bool:
    """Whether a request that failed with ``exc`` may still have reached the server.

    Only a failure to connect proves the request was never sent. A timeout while
    reading, or a connection reset or closed after sending, leaves it unknown
    whether the server stored the records: such requests are marked uncertain.

    Example:
        >>> maybe_delivered(requests.ConnectTimeout())
        False
        >>> maybe_delivered(requests.ReadTimeout())
        True

    Raises:
        Nothing.
    """
    if isinstance(exc, requests.ConnectTimeout | HTTPError):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return not _is_connect_failure(reason)
    return isinstance(exc, _TRANSPORT_ERRORS)


def _is_connect_failure(reason: object) -> bool:
    # urllib3 wraps "could not connect" as NewConnectionError (refused, DNS) or
    # ConnectTimeoutError; both happen before a byte of the request is written.
    names = {cls.__name__ for cls in type(reason).__mro__}
    return bool(names & {"NewConnectionError", "ConnectTimeoutError", "NameResolutionError"})
