"""Property: for any batch sizes and any clock, no 1-second window holds more than ``rate`` records.

The gateway counts a request against the records that arrived in the previous
second, ``(t - 1, t]`` (see sandbox/window.py); the checker below counts the
same way, independently of the throttle's own arithmetic.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from omninb.throttle import Throttle, next_send_time

WINDOW = 1.0
EPS = 1e-9  # float sums of spans: a send exactly one window later must not count twice

PROPERTY = settings(max_examples=80, deadline=None)


def busiest_window(sends: list[tuple[float, int]]) -> int:
    """Most records in any window ``(t - 1, t]`` ending at a send: where the server checks."""
    return max(
        (sum(n for u, n in sends if t - WINDOW + EPS < u <= t + EPS) for t, _ in sends), default=0
    )


@st.composite
def traffic(draw, max_rate: int = 150):
    """A rate, and a list of (records, seconds the clock moved before asking)."""
    rate = draw(st.integers(1, max_rate))
    sizes = st.integers(1, rate)
    gaps = st.one_of(st.just(0.0), st.floats(0.0, 3.0, allow_nan=False))
    return rate, draw(st.lists(st.tuples(sizes, gaps), min_size=1, max_size=60))


@PROPERTY
@given(traffic(), st.floats(0.0, 0.2, allow_nan=False))
def test_next_send_time_never_overfills_a_window(plan, margin):
    rate, steps = plan
    sends: list[tuple[float, int]] = []
    now = 0.0
    for n, gap in steps:
        now += gap
        t = next_send_time(sends, n, now, rate, WINDOW, margin)
        assert t >= now  # never in the past
        sends.append((t, n))
    assert busiest_window(sends) <= rate


@PROPERTY
@given(traffic(), st.floats(0.0, 0.2, allow_nan=False))
def test_next_send_time_is_the_earliest_allowed_when_nothing_waits(plan, margin):
    # Lower bound of the rule: with an empty history a send goes at once.
    rate, steps = plan
    n, gap = steps[0]
    assert next_send_time([], n, gap, rate, WINDOW, margin) == gap


class JumpyClock:
    """A clock that jumps forward by arbitrary amounts, and a sleep that may oversleep."""

    def __init__(self, jumps: list[float], overs: list[float]) -> None:
        self.now = 1000.0
        self._jumps = itertools.cycle(jumps or [0.0])
        self._overs = itertools.cycle(overs or [0.0])

    def __call__(self) -> float:
        self.now += next(self._jumps)
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, "the throttle asked to sleep a negative time"
        self.now += seconds + next(self._overs)


@PROPERTY
@given(
    plan=traffic(),
    jumps=st.lists(st.floats(0.0, 0.7, allow_nan=False), max_size=8),
    overs=st.lists(st.floats(0.0, 0.3, allow_nan=False), max_size=8),
    penalties=st.lists(st.booleans(), max_size=60),
)
def test_throttle_on_any_clock_never_overfills_a_window(plan, jumps, overs, penalties):
    rate, steps = plan
    clock = JumpyClock(jumps, overs)
    throttle = Throttle(rate, clock=clock, sleep=clock.sleep, wall=clock)
    sends = []
    for (n, gap), penalty in itertools.zip_longest(steps, penalties[: len(steps)]):
        clock.now += gap
        went = throttle.acquire(n)
        assert went <= clock.now + EPS  # it says it went no later than "now"
        sends.append((went, n))
        if penalty:
            throttle.penalize()
    assert busiest_window(sends) <= rate


@PROPERTY
@given(plan=traffic(), late=st.lists(st.floats(0.0, 0.5, allow_nan=False), max_size=60))
def test_late_arrivals_reported_by_the_server_push_later_sends_back(plan, late):
    # Each answer says the request reached the server `delay` seconds later than the
    # best case (the first request is the best case, delay 0); later sends must keep
    # a full window from those real arrivals.
    rate, steps = plan
    clock = JumpyClock([0.0], [0.0])
    throttle = Throttle(rate, clock=clock, sleep=clock.sleep, wall=clock)
    arrivals = []
    delays = [0.0, *late] + [0.0] * len(steps)
    for (n, gap), delay in zip(steps, delays, strict=False):
        clock.now += gap
        slot = throttle.reserve(n)
        scheduled = slot.when
        throttle.arrived(slot, slot.wall + delay)
        arrivals.append((scheduled + delay, n))
    assert busiest_window(arrivals) <= rate
