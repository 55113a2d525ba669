"""throttle: the sliding-window rule, smooth pacing and the adaptive margin, on a fake clock."""

from __future__ import annotations

import itertools
import threading

import pytest

from omninb.throttle import Slot, Throttle, arrival_delay, next_send_time, relaxed_margin


class FakeClock:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now = max(self.now, self.now + seconds)


def _max_in_window(sends: list[tuple[float, int]], window: float) -> int:
    times = sorted(sends)
    return max(sum(n for t, n in times if start <= t < start + window) for start, _ in times)


def test_first_send_goes_now():
    assert next_send_time([], 1, now=3.0, rate=100) == 3.0


def test_full_batches_go_one_span_apart():
    assert next_send_time([(0.0, 100)], 100, now=0.1, rate=100, margin=0.02) == pytest.approx(1.02)


def test_partial_batches_share_a_window():
    # 40 then 60 fit one window; pacing spaces them by 40% of the span
    assert next_send_time([(0.0, 40)], 60, now=0.0, rate=100, margin=0.0) == pytest.approx(0.4)


def test_window_rule_waits_for_enough_records_to_expire():
    history = [(0.0, 30), (0.3, 30), (0.6, 30)]
    # 90 in flight; 50 more need the first two sends out of the window
    assert next_send_time(history, 50, now=0.9, rate=100, margin=0.0) == pytest.approx(1.3)


def test_singles_are_paced_evenly():
    history: list[tuple[float, int]] = []
    for _ in range(5):
        history.append((next_send_time(history, 1, now=0.0, rate=100, margin=0.0), 1))
    assert [round(t, 6) for t, _ in history] == [0.0, 0.01, 0.02, 0.03, 0.04]


def test_rule_refuses_impossible_sends():
    with pytest.raises(ValueError, match="101"):
        next_send_time([], 101, now=0.0, rate=100)
    with pytest.raises(ValueError):
        next_send_time([], 0, now=0.0, rate=100)


def test_relaxed_margin_narrows_one_step_per_quiet_period_down_to_base():
    assert relaxed_margin(0.05, 0.01, quiet_for=4.9, quiet=5.0, step=0.01) == 0.05
    assert relaxed_margin(0.05, 0.01, quiet_for=5.0, quiet=5.0, step=0.01) == pytest.approx(0.04)
    assert relaxed_margin(0.05, 0.01, quiet_for=11.0, quiet=5.0, step=0.01) == pytest.approx(0.03)
    assert relaxed_margin(0.05, 0.01, quiet_for=1e9, quiet=5.0, step=0.01) == 0.01
    with pytest.raises(ValueError, match="quiet"):
        relaxed_margin(0.1, 0.01, quiet_for=1.0, quiet=0.0, step=0.01)


def test_throttle_keeps_every_window_under_the_rate_with_mixed_sizes():
    clock = FakeClock()
    throttle = Throttle(rate=100, margin=0.01, clock=clock, sleep=clock.sleep)
    sizes = [100, 37, 63, 1, 1, 98, 100, *([1] * 150), 50, 50]
    sends = [(throttle.acquire(n), n) for n in sizes]
    assert _max_in_window(sends, 1.01) <= 100
    # and it is not needlessly slow: total records / elapsed stays near the rate
    assert sum(sizes) / sends[-1][0] > 90


def test_throttle_single_records_reach_the_rate_without_bursts():
    clock = FakeClock()
    throttle = Throttle(rate=100, margin=0.01, clock=clock, sleep=clock.sleep)
    times = [throttle.acquire(1) for _ in range(300)]
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(times)}
    assert gaps == {0.0101}


def test_concurrent_acquirers_get_distinct_slots():
    clock = FakeClock()
    throttle = Throttle(rate=100, margin=0.0, clock=clock, sleep=lambda s: None)
    slots: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            when = throttle.acquire(1)
            with lock:
                slots.append(when)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(round(s, 6) for s in slots) == [round(i * 0.01, 6) for i in range(200)]


def test_penalize_widens_once_per_burst_and_quiet_relaxes():
    clock = FakeClock()
    throttle = Throttle(rate=100, margin=0.01, step=0.01, quiet=5.0, clock=clock, sleep=clock.sleep)
    throttle.penalize()
    throttle.penalize()  # another answer from the same congestion
    assert throttle.margin == pytest.approx(0.02)
    clock.now = 2.0
    throttle.penalize()
    assert throttle.margin == pytest.approx(0.03)
    clock.now = 7.5  # one quiet period since the last 429
    throttle.acquire(1)
    assert throttle.margin == pytest.approx(0.02)
    clock.now = 40.0
    throttle.acquire(1)
    assert throttle.margin == 0.01


def test_penalize_is_bounded_and_widened_margin_slows_batches():
    clock = FakeClock()
    throttle = Throttle(rate=100, margin=0.01, max_margin=0.16, clock=clock, sleep=clock.sleep)
    for n in range(30):
        clock.now = n * 1.5
        throttle.penalize()
    assert throttle.margin == 0.16
    first = throttle.acquire(100)
    assert throttle.acquire(100) - first == pytest.approx(1.16)


def test_no_rate_means_no_waiting():
    clock = FakeClock()
    throttle = Throttle(rate=None, clock=clock, sleep=clock.sleep)
    assert [throttle.acquire(100) for _ in range(5)] == [0.0] * 5


def test_throttle_refuses_bad_settings():
    with pytest.raises(ValueError, match="rate"):
        Throttle(rate=0)
    with pytest.raises(ValueError, match="margin"):
        Throttle(margin=0.5, max_margin=0.2)
    assert "margin=0.010" in repr(Throttle())


def test_a_late_waking_sender_moves_later_slots_with_it():
    clock = FakeClock()

    def oversleep(seconds: float) -> None:
        clock.now += seconds + 0.02  # the OS woke the sender 20 ms late

    throttle = Throttle(rate=100, margin=0.01, clock=clock, sleep=oversleep)
    assert throttle.acquire(100) == 0.0
    second = throttle.acquire(100)
    assert second == pytest.approx(1.03)  # reported as when it really went
    clock.now = 1.5
    assert throttle.acquire(100) == pytest.approx(1.03 + 1.01 + 0.02)


def test_arrival_delay_is_relative_to_the_best_offset_and_capped():
    assert arrival_delay(5.030, best=5.0) == pytest.approx(0.03)
    assert arrival_delay(4.0, best=5.0) == 0.0
    assert arrival_delay(60.0, best=5.0, cap=0.5) == 0.5


def test_a_request_that_arrived_late_pushes_the_next_window():
    clock = FakeClock()
    throttle = Throttle(
        rate=100, margin=0.01, clock=clock, sleep=clock.sleep, wall=lambda: 1_000 + clock.now
    )
    first = throttle.reserve(100)
    assert throttle.arrived(first, 1_000.002) == 0.0  # the baseline: 2 ms of transit
    second = throttle.reserve(100)
    assert second.when == pytest.approx(1.01) and second.wall == pytest.approx(1_001.01)
    # the server took the second batch 40 ms later than the first one's transit
    assert throttle.arrived(second, 1_001.01 + 0.042) == pytest.approx(0.04)
    assert throttle.reserve(100).when == pytest.approx(1.01 + 0.04 + 1.01)


def test_reserve_without_rate_still_reports_times():
    throttle = Throttle(rate=None, clock=lambda: 7.0, wall=lambda: 70.0)
    assert throttle.reserve(500) == Slot(7.0, 500, 70.0)


def test_a_waiting_sender_rechecks_its_slot_when_an_earlier_one_moved():
    clock = FakeClock()
    late: list[Slot] = []

    def sleeper(seconds: float) -> None:
        clock.now += seconds
        if late:  # the answer to the previous batch comes in while this one waits
            throttle.arrived(late.pop(), 1_000 + 1.01 + 0.042)

    throttle = Throttle(
        rate=100, margin=0.01, clock=clock, sleep=sleeper, wall=lambda: 1_000 + clock.now
    )
    first = throttle.reserve(100)
    throttle.arrived(first, 1_000.002)
    second = throttle.reserve(100)
    late.append(second)
    third = throttle.reserve(100)
    assert second.when == pytest.approx(1.05)
    assert third.when == pytest.approx(1.05 + 1.01)
    assert clock.now == pytest.approx(third.when)
