"""Fault knobs: added latency, 5xx answers and dropped connections, reproducible from a seed.

Two independent random streams: turning latency on does not change which
requests fail, so a failing test can be replayed with or without delays.
"""

from __future__ import annotations

import enum
import random

from omninb.sandbox.config import Knobs

__all__ = ["Fate", "Faults"]


class Fate(enum.Enum):
    """What happens to one import request."""

    OK = "ok"
    ERROR = "error"  # answered 500 or 503, nothing stored
    DROP_BEFORE = "drop_before"  # connection closed without an answer, nothing stored
    DROP_AFTER = "drop_after"  # records stored, then the connection closed without an answer


class Faults:
    """Draws each import request's fate and each answer's delay.

    Only used from the server's event loop thread, so it needs no lock.

    Example:
        >>> f = Faults(Knobs(error_rate=1.0, seed=7))
        >>> f.fate()
        <Fate.ERROR: 'error'>
        >>> f.error_status() in (500, 503)
        True
        >>> Faults(Knobs(latency=0.2, jitter=0.1, seed=1)).delay() <= 0.3
        True

    Raises:
        Nothing.
    """

    def __init__(self, knobs: Knobs) -> None:
        self._knobs = knobs
        self._fates = (
            random.Random(f"fates-{knobs.seed}") if knobs.seed is not None else random.Random()
        )
        self._delays = (
            random.Random(f"delays-{knobs.seed}") if knobs.seed is not None else random.Random()
        )

    def fate(self) -> Fate:
        """The fate of the next import request.

        Example:
            >>> Faults(Knobs()).fate()
            <Fate.OK: 'ok'>

        Raises:
            Nothing.
        """
        k = self._knobs
        if not (k.error_rate or k.drop_before_rate or k.drop_after_rate):
            return Fate.OK
        draw = self._fates.random()
        for fate, share in (
            (Fate.ERROR, k.error_rate),
            (Fate.DROP_BEFORE, k.drop_before_rate),
            (Fate.DROP_AFTER, k.drop_after_rate),
        ):
            if draw < share:
                return fate
            draw -= share
        return Fate.OK

    def error_status(self) -> int:
        """500 or 503, evenly.

        Example:
            >>> Faults(Knobs(seed=3)).error_status() in (500, 503)
            True

        Raises:
            Nothing.
        """
        return self._fates.choice((500, 503))

    def delay(self) -> float:
        """Seconds to hold the next answer: uniform in latency ± jitter (0 when latency is 0).

        Example:
            >>> Faults(Knobs()).delay()
            0.0

        Raises:
            Nothing.
        """
        k = self._knobs
        if not k.latency:
            return 0.0
        return max(0.0, self._delays.uniform(k.latency - k.jitter, k.latency + k.jitter))
