"""retry: backoff, Retry-After parsing, retry decisions, delivery doubt. No waiting."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from omninb.errors import AuthError, ServerError, TransportError
from omninb.retry import (
    RetryPolicy,
    backoff_delay,
    decide,
    delay,
    maybe_delivered,
    retry_after_seconds,
)


@pytest.mark.parametrize(
    ("attempt", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0), (7, 30.0), (500, 30.0)]
)
def test_backoff_ceiling_doubles_up_to_the_cap(attempt, ceiling):
    assert backoff_delay(attempt, base=0.5, cap=30.0, rand=lambda: 1.0) == ceiling


def test_backoff_is_full_jitter_between_zero_and_ceiling():
    draws = iter([0.0, 0.25, 0.999])
    values = [backoff_delay(3, base=1.0, cap=60.0, rand=lambda: next(draws)) for _ in range(3)]
    assert values == [0.0, 1.0, 3.996]


def test_backoff_refuses_attempt_zero():
    with pytest.raises(ValueError, match="attempt"):
        backoff_delay(0, base=1.0, cap=2.0, rand=lambda: 0.5)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        (None, None),
        ("", None),
        ("soon", None),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("Mon, 99 Foo 2024 25:61:00 GMT", None),
    ],
)
def test_retry_after_delta_seconds_and_garbage(header, expected):
    assert retry_after_seconds(header, now=1_000.0) == expected


def test_retry_after_http_date_is_measured_from_now():
    when = datetime(2030, 1, 1, 12, 0, 10, tzinfo=UTC)
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    assert retry_after_seconds(format_datetime(when, usegmt=True), now=now) == 10.0


def test_retry_after_http_date_in_the_past_means_now():
    assert retry_after_seconds("Thu, 01 Jan 1970 00:00:05 GMT", now=100.0) == 0.0


def test_retry_after_zone_less_date_is_read_as_utc():
    assert retry_after_seconds("Thu, 01 Jan 1970 00:01:40 -0000", now=40.0) == 60.0


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_retry_until_max_attempts(status):
    policy = RetryPolicy(max_attempts=3)
    assert decide(status, 1, policy).retry and decide(status, 2, policy).retry
    final = decide(status, 3, policy)
    assert not final.retry and "after 3 attempts" in final.reason


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422, 501])
def test_other_statuses_are_final(status):
    verdict = decide(status, 1, RetryPolicy())
    assert not verdict.retry and str(status) in verdict.reason


@pytest.mark.parametrize(
    "exc",
    [
        requests.ConnectionError(),
        requests.ReadTimeout(),
        requests.ConnectTimeout(),
        requests.exceptions.ChunkedEncodingError(),
        ConnectionResetError(),
        TransportError("x"),
    ],
)
def test_transport_failures_are_retried(exc):
    assert decide(exc, 1, RetryPolicy()).retry
    assert not decide(exc, 6, RetryPolicy()).retry


def test_failed_token_fetch_is_judged_by_its_status():
    assert decide(ServerError("token", status_code=503), 1, RetryPolicy()).retry
    assert not decide(AuthError("token", status_code=401), 1, RetryPolicy()).retry


def test_programming_errors_are_not_retried():
    verdict = decide(ValueError("bad"), 1, RetryPolicy())
    assert not verdict.retry and "ValueError" in verdict.reason


def test_custom_statuses_and_single_attempt_policy():
    policy = RetryPolicy(max_attempts=1, statuses=frozenset({409}))
    assert not decide(409, 1, policy).retry
    assert decide(409, 1, RetryPolicy(statuses=frozenset({409}))).retry
    assert not decide(503, 1, RetryPolicy(statuses=frozenset({409}))).retry


def test_policy_refuses_nonsense():
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="base"):
        RetryPolicy(base=5.0, cap=1.0)


def test_delay_prefers_retry_after_and_bounds_it():
    policy = RetryPolicy(max_retry_after=10.0)
    assert delay(1, policy, retry_after=4.0, rand=lambda: 1.0) == 4.0
    assert delay(1, policy, retry_after=900.0, rand=lambda: 1.0) == 10.0
    assert delay(3, policy, retry_after=None, rand=lambda: 1.0) == 2.0


def _refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def test_connect_failures_prove_nothing_was_sent():
    assert not maybe_delivered(_refused())
    assert not maybe_delivered(requests.ConnectTimeout())
    assert not maybe_delivered(ServerError("token", status_code=503))


def test_lost_answers_leave_delivery_in_doubt():
    dropped = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))
    assert maybe_delivered(dropped)
    assert maybe_delivered(requests.ReadTimeout())
    assert maybe_delivered(requests.exceptions.ChunkedEncodingError())
    assert not maybe_delivered(ValueError("not a transport failure"))
