"""Keep every 1-second window under the API's rate, with a margin that adapts.

The gateway counts records by ARRIVAL time in a sliding 1-second window and
answers 429 above ``rate``. Sends are scheduled so that no window of
``window * (1 + margin)`` seconds holds more than ``rate`` records: the margin
absorbs differences in network delay between two requests. Records are also
spaced evenly (``n`` records take ``n/rate`` of the window), so single orders
go out smoothly instead of in bursts that a jittery network would push into
one server window.

When a 429 arrives anyway, ``penalize()`` widens the margin by a step; each
quiet period without a 429 narrows it by a step, down to its base. Steps are
additive on purpose: a lone late request should cost a percent of throughput
for a few seconds, not halve it. The rules are plain
functions (``next_send_time``, ``relaxed_margin``); ``Throttle`` adds a lock, a
clock and a sleep, both injectable so tests need no waiting.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Throttle", "next_send_time", "relaxed_margin"]


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


@dataclass(slots=True)
class _Send:
    """One scheduled send; ``when`` moves later if its sender woke late."""

    when: float
    n: int


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
        self._history: deque[_Send] = deque()
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
        if self.rate is None:
            return self._clock()
        with self._lock:
            now = self._clock()
            self._relax(now)
            self._forget(now)
            past = [(send.when, send.n) for send in self._history]
            send = _Send(next_send_time(past, n, now, self.rate, self.window, self.margin), n)
            self._history.append(send)
        if send.when > now:
            self._sleep(send.when - now)
        woke = self._clock()
        if woke > send.when:
            # A sender that woke late arrives late; later slots must count from
            # when it really went, or the server sees it in the next window.
            with self._lock:
                send.when = woke
        return send.when

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
