"""Keep every 1-second window under the API's rate, with a margin that adapts.

The gateway counts records by ARRIVAL time in a sliding 1-second window and
answers 429 above ``rate``. Sends are scheduled so that no window of
``window * (1 + margin)`` seconds holds more than ``rate`` records: the margin
absorbs differences in network delay between two requests. Records are also
spaced evenly (``n`` records take ``n/rate`` of the window), so single orders
go out smoothly instead of in bursts that a jittery network would push into
one server window.

Two corrections keep the schedule honest about arrival: a sender that wakes
late counts from when it really went, and ``arrived()`` shifts a send by how
much later than usual the server's answer says it was taken (a request held
up on the way must not share the next window with the one after it).

When a 429 arrives anyway, ``penalize()`` widens the margin by a step; each
quiet period without a 429 narrows it by a step, down to its base. Steps are
additive on purpose: a lone late request should cost a percent of throughput
for a few seconds, not halve it. The rules are plain
functions (``next_send_time``, ``relaxed_margin``); ``Throttle`` adds a lock, a
clock and a sleep, both injectable so tests need no waiting.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Slot", "Throttle", "arrival_delay", "next_send_time", "relaxed_margin"]


def next_send_time(
    history: Sequence[tuple[float, int]],
    n: int,
    now: float,
    rate: int,
    window: float = 1.0,
    margin: float = 0.01,
) -> float:
    """Earliest time at or after ``now`` when ``n`` more records may be sent.

    ``history`` lists earlier sends as (time, records), oldest first, including
    sends already scheduled in the future. Two rules hold for the result ``t``:
    the records sent in ``(t - span, t]`` plus ``n`` stay within ``rate``, where
    ``span = window * (1 + margin)``; and ``t`` comes at least
    ``last_records * span / rate`` after the previous send (smooth pacing).

    Example:
        >>> next_send_time([], 100, now=5.0, rate=100)
        5.0
        >>> next_send_time([(5.0, 100)], 100, now=5.2, rate=100)
        6.01
        >>> round(next_send_time([(5.0, 1)], 1, now=5.0, rate=100), 4)
        5.0101

    Raises:
        ValueError: n is below 1 or above rate (such a send could never go).
    """
    if not 1 <= n <= rate:
        raise ValueError(f"cannot send {n} records under a rate of {rate} per window")
    span = window * (1 + margin)
    start = now
    if history:
        last_time, last_n = history[-1]
        start = max(start, last_time + last_n * span / rate)
    excess = sum(count for _, count in history) + n - rate
    for when, count in history:
        if excess <= 0:
            break
        start = max(start, when + span)
        excess -= count
    return start


def relaxed_margin(
    margin: float, base: float, quiet_for: float, quiet: float, step: float
) -> float:
    """The margin after ``quiet_for`` seconds without a 429: one ``step`` less per ``quiet`` period.

    Example:
        >>> round(relaxed_margin(0.04, 0.01, quiet_for=12.0, quiet=5.0, step=0.01), 3)
        0.02
        >>> relaxed_margin(0.02, 0.01, quiet_for=100.0, quiet=5.0, step=0.01)
        0.01

    Raises:
        ValueError: quiet is not positive.
    """
    if quiet <= 0:
        raise ValueError(f"quiet period must be positive, not {quiet}")
    periods = int(max(0.0, quiet_for) // quiet)
    return max(base, margin - periods * step)


def arrival_delay(offset: float, best: float, cap: float = 0.5) -> float:
    """How much later than the best case a request reached the server, in seconds.

    ``offset`` is the server's time in its answer minus our wall time at sending
    (clock offset plus transit); ``best`` is the smallest such offset seen
    recently, so clock differences between the machines cancel out. Capped, so a
    clock jump cannot stall the throttle.

    Example:
        >>> arrival_delay(10.040, best=10.002)
        0.038
        >>> arrival_delay(9.9, best=10.0), arrival_delay(99.0, best=10.0)
        (0.0, 0.5)

    Raises:
        Nothing.
    """
    return round(min(cap, max(0.0, offset - best)), 6)


@dataclass(slots=True)
class Slot:
    """One scheduled send of ``n`` records.

    Attributes:
        when: clock time it counts from; moves later if its sender woke late or
            the server's answer shows it arrived late.
        n: records it carries.
        wall: wall-clock time (epoch seconds) it went, to compare with the server's.
    """

    when: float
    n: int
    wall: float = 0.0


class Throttle:
    """Thread-safe scheduler: ``acquire(n)`` blocks until ``n`` records may be sent.

    Each caller reserves its slot under the lock and then sleeps outside it, so
    concurrent senders get distinct, evenly spaced slots. ``rate=None`` turns
    throttling off (a sandbox with its limit lifted).

    Attributes:
        rate: records allowed per window, or None for no limit.
        margin: current margin, a fraction of the window.
    """

    def __init__(
        self,
        rate: int | None = 100,
        *,
        window: float = 1.0,
        margin: float = 0.01,
        max_margin: float = 0.16,
        step: float = 0.01,
        quiet: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if rate is not None and rate < 1:
            raise ValueError(f"rate must be a positive number of records or None, not {rate}")
        if not 0 <= margin <= max_margin:
            raise ValueError(f"need 0 <= margin <= max_margin, got {margin}, {max_margin}")
        self.rate, self.window, self.base_margin = rate, window, margin
        self.margin, self.max_margin, self.quiet = margin, max_margin, quiet
        self.step = step
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._history: deque[Slot] = deque()
        self._offsets: deque[float] = deque(maxlen=256)
        self._wall = wall
        self._changed = clock()

    def __repr__(self) -> str:
        return f"Throttle(rate={self.rate}, window={self.window}, margin={self.margin:.3f})"

    def acquire(self, n: int = 1) -> float:
        """Wait until ``n`` records may go, and count them as sent then.

        Example:
            >>> t = Throttle(rate=100, clock=lambda: 0.0, sleep=lambda s: None)
            >>> t.acquire(100), t.acquire(100)
            (0.0, 1.01)

        Returns:
            The clock time the send went (its slot, or later if the caller woke late).

        Raises:
            ValueError: n is below 1 or above the rate.
        """
        return self.reserve(n).when

    def reserve(self, n: int = 1) -> Slot:
        """Like ``acquire``, returning the slot so ``arrived`` can correct it later.

        Example:
            >>> t = Throttle(rate=100, clock=lambda: 0.0, sleep=lambda s: None, wall=lambda: 50.0)
            >>> t.reserve(10)
            Slot(when=0.0, n=10, wall=50.0)

        Raises:
            ValueError: n is below 1 or above the rate.
        """
        if self.rate is None:
            return Slot(self._clock(), n, self._wall())
        with self._lock:
            now = self._clock()
            self._relax(now)
            self._forget(now)
            slot = Slot(self._earliest(len(self._history), n, now), n)
            self._history.append(slot)
        self._wait_for(slot)
        return slot

    def _wait_for(self, slot: Slot) -> None:
        """Sleep until the slot, re-checking it on waking: earlier sends may have moved later."""
        while True:
            now = self._clock()
            if slot.when > now:
                self._sleep(slot.when - now)
            with self._lock:
                woke, slot.wall = self._clock(), self._wall()
                # A sender that woke late arrives late: count it from when it really went.
                slot.when = max(slot.when, woke)
                mine = next((i for i, s in enumerate(self._history) if s is slot), None)
                if mine is None:
                    return
                due = self._earliest(mine, slot.n, slot.when)
                if due <= slot.when:
                    return
                slot.when = due

    def _earliest(self, upto: int, n: int, now: float) -> float:
        """Earliest time for n records after the first ``upto`` reserved sends (lock held)."""
        past = [(s.when, s.n) for s in itertools.islice(self._history, upto)]
        return next_send_time(past, n, now, self.rate or 1, self.window, self.margin)

    def arrived(self, slot: Slot, server_time: float) -> float:
        """Learn from an answer's server timestamp how late ``slot`` arrived; count it from then.

        A request held up on the way (busy machine, slow network) lands in the
        server's window later than scheduled, and the next send would otherwise
        land less than a window after it. Call once per slot, with the server's
        time (epoch seconds) from a successful answer.

        Example:
            >>> t = Throttle(rate=100, clock=lambda: 0.0, sleep=lambda s: None, wall=lambda: 100.0)
            >>> a, b = t.reserve(100), t.reserve(100)
            >>> t.arrived(a, 100.002), t.arrived(b, 100.032)
            (0.0, 0.03)
            >>> b.when
            1.04

        Returns:
            The delay added to the slot, in seconds.

        Raises:
            Nothing.
        """
        offset = server_time - slot.wall
        with self._lock:
            self._offsets.append(offset)
            delay = arrival_delay(offset, min(self._offsets))
            slot.when = round(slot.when + delay, 9)
        return delay

    def penalize(self) -> None:
        """Widen the margin after an unexpected 429 (several within one window count once).

        Example:
            >>> t = Throttle(clock=lambda: 0.0, sleep=lambda s: None)
            >>> t.penalize(); t.margin
            0.02

        Raises:
            Nothing.
        """
        with self._lock:
            now = self._clock()
            if self.margin > self.base_margin and now - self._changed < self.window:
                return  # answers to requests already in flight: same congestion
            self.margin = min(self.max_margin, self.margin + self.step)
            self._changed = now

    def _relax(self, now: float) -> None:
        periods = (now - self._changed) // self.quiet
        if periods >= 1 and self.margin > self.base_margin:
            quiet_for = now - self._changed
            self.margin = relaxed_margin(
                self.margin, self.base_margin, quiet_for, self.quiet, self.step
            )
            self._changed += periods * self.quiet

    def _forget(self, now: float) -> None:
        # Keep what the widest possible margin could still count.
        horizon = now - self.window * (1 + self.max_margin)
        while self._history and self._history[0].when <= horizon:
            self._history.popleft()
