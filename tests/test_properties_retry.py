"""Properties of the retry rules: delays within bounds, Retry-After in both forms, garbage survived."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from omninb.errors import AuthError, ServerError
from omninb.retry import RetryPolicy, backoff_delay, decide, delay, retry_after_seconds

PROPERTY = settings(max_examples=150, deadline=None)

unit_random = st.floats(0.0, 1.0, exclude_max=True, allow_nan=False)


@st.composite
def policies(draw):
    cap = draw(st.floats(0.0, 600.0, allow_nan=False))
    base = draw(st.floats(0.0, cap, allow_nan=False))
    return RetryPolicy(
        max_attempts=draw(st.integers(1, 12)),
        base=base,
        cap=cap,
        max_retry_after=draw(st.floats(0.0, 600.0, allow_nan=False)),
    )


@PROPERTY
@given(policies(), st.integers(1, 10_000), unit_random)
def test_backoff_stays_below_its_ceiling(policy, attempt, r):
    wait = backoff_delay(attempt, base=policy.base, cap=policy.cap, rand=lambda: r)
    ceiling = min(policy.cap, policy.base * 2.0 ** min(attempt - 1, 1023))
    assert 0.0 <= wait <= ceiling and math.isfinite(wait)
    if ceiling > 0:
        assert wait < ceiling or r == 0  # full jitter: [0, ceiling)


@PROPERTY
@given(policies(), st.integers(1, 50))
def test_backoff_ceiling_grows_then_stops_at_the_cap(policy, attempt):
    def ceiling(a: int) -> float:
        return backoff_delay(a, base=policy.base, cap=policy.cap, rand=lambda: 1.0)

    assert ceiling(attempt) <= ceiling(attempt + 1) <= policy.cap


@PROPERTY
@given(st.integers(0, 10**9), st.floats(0, 2e9, allow_nan=False))
def test_delta_seconds_are_honoured_as_given(seconds, now):
    assert retry_after_seconds(str(seconds), now=now) == float(seconds)
    assert retry_after_seconds(f"  {seconds}\t", now=now) == float(seconds)


@PROPERTY
@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    st.floats(-3 * 86_400.0, 3 * 86_400.0, allow_nan=False),
)
def test_http_dates_become_the_seconds_until_them(when, ahead):
    when = when.replace(microsecond=0, tzinfo=UTC)
    now = when.timestamp() - ahead
    header = format_datetime(when, usegmt=True)  # "Wed, 21 Oct 2015 07:28:00 GMT"
    assert math.isclose(retry_after_seconds(header, now=now), max(0.0, ahead), abs_tol=1e-6)


def _junk_dates():
    days = st.sampled_from(["Mon", "Tue", "Xyz", ""])
    months = st.sampled_from(["Jan", "Feb", "Foo", "13", ""])
    return st.builds(
        "{}, {} {} {} {}:{}:{} {}".format,
        days,
        st.integers(-5, 99),
        months,
        st.integers(-1, 999_999),
        st.integers(-1, 99),
        st.integers(-1, 99),
        st.integers(-1, 99),
        st.sampled_from(["GMT", "UTC", "+0900", "-0000", "PST", "", "+9999"]),
    )


garbage = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["nan", "inf", "-inf", "-1", "1e400", "-0", "0x10", "1_000", "１２", "soon", " ", "\x00"]
    ),
    st.floats().map(repr),
    _junk_dates(),
)


@PROPERTY
@given(garbage, st.floats(0, 2e9, allow_nan=False), policies(), unit_random)
def test_any_retry_after_gives_none_or_a_bounded_wait(header, now, policy, r):
    seconds = retry_after_seconds(header, now=now)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)
    wait = delay(1, policy, retry_after=seconds, rand=lambda: r)
    assert 0.0 <= wait <= max(policy.max_retry_after, policy.base)
    if seconds is not None:
        assert wait == min(seconds, policy.max_retry_after)


@PROPERTY
@given(st.integers(100, 599), st.integers(1, 20), policies())
def test_decide_retries_exactly_the_policy_statuses_until_the_last_attempt(status, attempt, policy):
    verdict = decide(status, attempt, policy)
    assert verdict.retry == (status in policy.statuses and attempt < policy.max_attempts)
    assert str(status) in verdict.reason


transport_failures = st.sampled_from(
    [
        requests.ConnectionError("reset"),
        requests.ReadTimeout("slow"),
        requests.ConnectTimeout("refused"),
        requests.exceptions.ChunkedEncodingError("cut"),
        ConnectionResetError("peer"),
        TimeoutError("t"),
        ServerError("token endpoint", status_code=503),
    ]
)
final_failures = st.sampled_from(
    [ValueError("bug"), KeyError("x"), AuthError("no", status_code=401), RuntimeError("?")]
)


@PROPERTY
@given(transport_failures, st.integers(1, 20), policies())
def test_transport_failures_are_retried_until_the_last_attempt(exc, attempt, policy):
    assert decide(exc, attempt, policy).retry == (attempt < policy.max_attempts)


@PROPERTY
@given(final_failures, st.integers(1, 20), policies())
def test_programming_errors_and_refusals_are_never_retried(exc, attempt, policy):
    assert not decide(exc, attempt, policy).retry


def test_a_date_one_minute_ahead_is_sixty_seconds():
    now = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(minutes=1), usegmt=True)
    assert retry_after_seconds(header, now=now.timestamp()) == 60.0


def test_regression_no_backoff_policy_stays_zero_after_64_attempts():
    # Found by test_backoff_stays_below_its_ceiling: attempts above 64 used the cap
    # whatever the base, so base=0 ("retry at once") waited up to `cap` seconds.
    assert backoff_delay(65, base=0.0, cap=30.0, rand=lambda: 0.5) == 0.0
    assert backoff_delay(70, base=1e-30, cap=30.0, rand=lambda: 1.0) < 1e-9
    assert backoff_delay(10_000, base=0.5, cap=30.0, rand=lambda: 0.5) == 15.0
