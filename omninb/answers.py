"""What an import or status request came to: its Answer, or the exception when given up.

Plain values with no I/O, split from ``client.py`` (which sends the requests)
so that each stays small: ``Answer`` is what a successful request returns,
``Failure`` turns a request given up on into the ``HTTPError`` subclass that
names the request, its orders and the server's message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from omninb.errors import HTTPError, error_for_status

__all__ = ["Answer", "Departure", "Failure", "Where", "server_message"]


@dataclass(frozen=True)
class Answer:
    """The API's successful answer to one import request, and how it was obtained.

    Attributes:
        status: HTTP status (2xx).
        body: parsed JSON body (or the text if it was not JSON).
        message: the server's message, e.g. "Total records = 2. Success = 2. Failed = 0".
        job_id: the import job id, for the status service.
        attempts: requests sent in all, retries included.
        uncertain: an earlier attempt's answer was lost after sending: records may be stored twice.
        elapsed: seconds from the first attempt leaving to this answer, retry waits included.
        sent_at: when the first attempt left (epoch seconds), after the throttle let it go.
    """

    status: int
    body: Any
    message: str | None
    job_id: str | None
    attempts: int
    uncertain: bool
    elapsed: float
    sent_at: float | None = None


@dataclass
class Departure:
    """When the first attempt of a request left: monotonic for durations, wall for reports."""

    at: float | None = None
    wall: float | None = None

    def mark(self, now: float) -> None:
        """Record ``now`` (monotonic) and the wall clock, for the first attempt only.

        Example:
            >>> d = Departure(); d.mark(5.0); d.mark(9.0); d.at
            5.0

        Raises:
            Nothing.
        """
        if self.at is None:
            self.at, self.wall = now, time.time()


@dataclass(frozen=True)
class Where:
    """Where a request belongs, for error messages."""

    request_no: int | None = None
    keys: tuple[str, ...] = ()
    job_id: str | None = None


def server_message(body: Any) -> str | None:
    """The server's own words in an error body (JSON ``message`` or ``error``, else the text).

    Example:
        >>> server_message({"status": 400, "message": "Body is not JSON"})
        'Body is not JSON'

    Raises:
        Nothing.
    """
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or "") or None
    return str(body)[:300] or None


@dataclass(frozen=True)
class Failure:
    """A request given up on: builds the exception naming the request, its orders and the cause."""

    method: str
    url: str
    where: Where
    attempts: int
    uncertain: bool
    reason: str

    def error(self, outcome: int | BaseException, said: str | None) -> HTTPError:
        """The exception for this request: by status, or the token fetch's own error.

        Example:
            >>> f = Failure("POST", "http://h/omnichannel/api/v1/k/orders", Where(3, ("A",)),
            ...             8, False, "still 503 after 8 attempts")
            >>> type(f.error(503, "Service Unavailable")).__name__
            'ServerError'

        Raises:
            Nothing; it returns the exception for the caller to raise.
        """
        status: int | None = outcome if isinstance(outcome, int) else None
        cls = error_for_status(status)
        what = f"{self.method} {urlsplit(self.url).path} failed: {self.reason}"
        if isinstance(outcome, HTTPError):  # the token fetch failed: keep its class and cause
            cls, status, said = type(outcome), outcome.status_code, outcome.server_message
            what += f" while getting a token ({outcome.args[0].split('. ')[0]})"
        if self.uncertain:
            what += "; an earlier answer was lost after sending, so its records may be stored"
        return cls(
            what,
            status_code=status,
            server_message=said,
            request_no=self.where.request_no,
            order_ids=self.where.keys,
            job_id=self.where.job_id,
            attempts=self.attempts,
            uncertain=self.uncertain,
        )
