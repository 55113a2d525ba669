"""The sliding 1-second rate window, driven with explicit arrival times."""

from omninb.sandbox.window import RateWindow


def test_window_slides_rather_than_resetting_each_second():
    w = RateWindow(limit=100)
    assert w.admit("k", 50, now=0.9) is None
    assert w.admit("k", 50, now=1.1) is None
    # a fixed per-second bucket would admit this at 1.2; a sliding window does not
    assert w.admit("k", 1, now=1.2) == 1
    assert w.admit("k", 50, now=1.91) is None


def test_refused_requests_do_not_count():
    w = RateWindow(limit=10)
    assert w.admit("k", 10, now=0.0) is None
    for t in (0.1, 0.2, 0.3):
        assert w.admit("k", 5, now=t) is not None
    assert w.admit("k", 10, now=1.01) is None


def test_retry_after_is_whole_seconds_until_enough_leaves():
    w = RateWindow(limit=100, span=3.0)
    w.admit("k", 60, now=0.0)
    w.admit("k", 40, now=2.0)
    assert w.admit("k", 30, now=2.5) == 1  # the first 60 leave at 3.0
    assert w.admit("k", 70, now=2.5) == 3  # needs the 40 gone too: at 5.0
    assert w.admit("k", 101, now=2.5) == 3  # never fits: told to wait a whole window


def test_out_of_order_arrivals_are_evicted_by_time():
    w = RateWindow(limit=3)
    w.admit("k", 1, now=0.5)
    w.admit("k", 1, now=0.2)  # body read later than a later arrival
    w.admit("k", 1, now=0.4)
    assert w.admit("k", 1, now=1.21) is None  # 0.2 has left, 0.4 and 0.5 remain
    assert w.admit("k", 1, now=1.3) == 1


def test_keys_have_separate_windows_and_none_lifts_the_limit():
    w = RateWindow(limit=1)
    assert w.admit("a", 1, now=0.0) is None
    assert w.admit("b", 1, now=0.0) is None
    assert w.admit("a", 1, now=0.0) == 1
    assert RateWindow(limit=None).admit("a", 10**6, now=0.0) is None
