"""The gateway's rate limit: records per apiKey in a sliding 1-second window.

Requests are stamped on arrival; a request that would lift the window above
the limit is refused and not counted, and learns how long to wait.
"""

from __future__ import annotations

import bisect
import math

__all__ = ["RateWindow"]


class RateWindow:
    """Sliding-window admission per apiKey; ``limit=None`` admits everything.

    Only touched from the server's event loop thread, so it needs no lock.

    Example:
        >>> w = RateWindow(limit=100)
        >>> w.admit("k", 60, now=10.0), w.admit("k", 60, now=10.5)
        (None, 1)
        >>> w.admit("k", 60, now=11.01)

    Raises:
        Nothing at construction.
    """

    def __init__(self, limit: int | None, span: float = 1.0) -> None:
        self._limit = limit
        self._span = span
        self._windows: dict[str, list[tuple[float, int]]] = {}
        self._totals: dict[str, int] = {}

    def admit(self, api_key: str, count: int, now: float) -> int | None:
        """Count ``count`` records arriving at ``now``; None if admitted, else Retry-After seconds.

        Example:
            >>> RateWindow(limit=None).admit("k", 10_000, now=0.0) is None
            True

        Raises:
            Nothing.
        """
        if self._limit is None:
            return None
        entries = self._windows.setdefault(api_key, [])
        self._evict(api_key, entries, now)
        total = self._totals.get(api_key, 0)
        if total + count > self._limit:
            return self._retry_after(entries, total, count, now)
        # Arrival stamps can reach the window slightly out of order (bodies are read
        # concurrently), so keep the entries sorted rather than assume append order.
        bisect.insort(entries, (now, count))
        self._totals[api_key] = total + count
        return None

    def _evict(self, api_key: str, entries: list[tuple[float, int]], now: float) -> None:
        cut = 0
        while cut < len(entries) and entries[cut][0] <= now - self._span:
            self._totals[api_key] -= entries[cut][1]
            cut += 1
        del entries[:cut]

    def _retry_after(
        self, entries: list[tuple[float, int]], total: int, count: int, now: float
    ) -> int:
        assert self._limit is not None
        freed, wait = 0, self._span
        for stamp, n in entries:
            freed += n
            if total - freed + count <= self._limit:
                wait = stamp + self._span - now
                break
        return max(1, math.ceil(wait))
