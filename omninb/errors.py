"""Every exception omninb raises, in one tree.

    OmniError                      anything omninb raises on purpose
    ├── ConfigError                credentials or settings missing or unsafe (e.g. plain HTTP to a remote host)
    ├── ValidationError            input rows break the API's rules; carries the ValidationReport; nothing was sent
    ├── JournalError               the journal belongs to another input or API key, is locked, corrupt or unwritable
    └── HTTPError                  the API answered with an error, or did not answer at all
        ├── AuthError              401/403: credentials refused or token rejected after one refresh
        ├── NotFoundError          404: unknown job id or endpoint
        ├── BadRequestError        other 4xx: the server refused the body; not retried
        ├── PayloadTooLargeError   413 on a request that cannot be split any further
        ├── RateLimitError         429 still answered after every retry
        ├── ServerError            5xx still answered after every retry
        └── TransportError         connection refused, dropped or timed out after every retry

Every message says what was wrong, where (row, column, order id, request, job id)
and what to do. No message ever contains a client secret or a bearer token:
callers pass only ids and the server's own message text.

`error_for_status(status)` is the single place an HTTP status becomes a class.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "AuthError",
    "BadRequestError",
    "ConfigError",
    "HTTPError",
    "JournalError",
    "NotFoundError",
    "OmniError",
    "PayloadTooLargeError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "ValidationError",
    "error_for_status",
]


class OmniError(Exception):
    """Base of every exception omninb raises on purpose.

    Example:
        >>> try:
        ...     raise ConfigError("OMNI_API_KEY is not set. Set it or pass api_key=...")
        ... except OmniError as exc:
        ...     print(type(exc).__name__)
        ConfigError
    """


class ConfigError(OmniError):
    """Credentials or settings are missing, contradictory or unsafe."""


class ValidationError(OmniError):
    """Input rows break the API's rules; nothing was sent.

    Attributes:
        report: the ValidationReport (``.errors`` has one row per problem).
    """

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class JournalError(OmniError):
    """The journal file cannot be used for this push; nothing confirmed in it is lost."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


def _short_ids(ids: Iterable[str] | None, limit: int = 5) -> str:
    ids = list(ids or [])
    if len(ids) <= limit:
        return ", ".join(ids)
    return ", ".join(ids[:limit]) + f" and {len(ids) - limit} more"


class HTTPError(OmniError):
    """The API answered with an error status, or did not answer.

    Attributes:
        status_code: the HTTP status, or None when no answer arrived.
        server_message: the server's own error text, if any.
        request_no: the push request number, if the error belongs to one.
        order_ids: the ids of the orders in that request.
        job_id: the job id, for status calls.
        attempts: how many times the request was sent before giving up, if known.
        uncertain: True when some attempt's answer was lost after the request was
            sent, so its records may have been stored although this error was raised.
    """

    hint = "Check the server's message above; retrying will not help until the cause is fixed."

    def __init__(
        self,
        what: str,
        *,
        status_code: int | None = None,
        server_message: str | None = None,
        request_no: int | None = None,
        order_ids: Iterable[str] | None = None,
        job_id: str | None = None,
        attempts: int | None = None,
        uncertain: bool = False,
    ) -> None:
        self.status_code = status_code
        self.attempts = attempts
        self.uncertain = uncertain
        self.server_message = server_message
        self.request_no = request_no
        self.order_ids = list(order_ids or [])
        self.job_id = job_id
        super().__init__(self._compose(what))

    def _compose(self, what: str) -> str:
        parts = [what]
        if self.status_code is not None:
            parts.append(f"HTTP {self.status_code}")
        if self.server_message:
            parts.append(f"server said: {self.server_message!r}")
        where = []
        if self.request_no is not None:
            where.append(f"request #{self.request_no}")
        if self.order_ids:
            where.append(f"orders {_short_ids(self.order_ids)}")
        if self.job_id:
            where.append(f"job {self.job_id}")
        if where:
            parts.append("in " + ", ".join(where))
        return ". ".join(parts) + ". " + self.hint


class AuthError(HTTPError):
    hint = (
        "Check client_id, client_secret and api_key for this environment "
        "(tokens from QA are not valid in production)."
    )


class NotFoundError(HTTPError):
    hint = "Check the api key and job id; a job id from another environment is not found here."


class BadRequestError(HTTPError):
    hint = "The server refused this body; fix the rows it names and push them again."


class PayloadTooLargeError(HTTPError):
    hint = "This single order is over 100 KB gzip-compressed; split its line items into smaller orders."


class RateLimitError(HTTPError):
    hint = "The API kept answering 429; lower rate=... or push again later (the journal resumes)."


class ServerError(HTTPError):
    hint = "The API kept failing; push again later with the same journal to resume."


class TransportError(HTTPError):
    hint = "No answer arrived; check the network, then push again with the same journal to resume."


_BY_STATUS: dict[int, type[HTTPError]] = {
    400: BadRequestError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    429: RateLimitError,
}


def error_for_status(status: int | None) -> type[HTTPError]:
    """Map an HTTP status (None: no answer) to its exception class.

    Example:
        >>> error_for_status(429).__name__
        'RateLimitError'
        >>> error_for_status(503).__name__
        'ServerError'
        >>> error_for_status(None).__name__
        'TransportError'

    Raises:
        Nothing; unknown statuses map to HTTPError.
    """
    if status is None:
        return TransportError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 500 <= status <= 599:
        return ServerError
    if 400 <= status <= 499:
        return BadRequestError
    return HTTPError
