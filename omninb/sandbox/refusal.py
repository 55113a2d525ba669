"""The one exception a sandbox handler raises to answer with an HTTP error.

Pure (no aiohttp): the rules, token and rate modules raise it, and the app
turns it into a JSON answer shaped like a gateway error.
"""

from __future__ import annotations

from http import HTTPStatus

__all__ = ["Refusal", "error_body"]


class Refusal(Exception):
    """The request is refused with ``status`` and a message saying what to do.

    Example:
        >>> r = Refusal(404, "Job j-1 is not known for apiKey 12345.")
        >>> error_body(r.status, str(r))["error"]
        'Not Found'

    Raises:
        Nothing.
    """

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})


def error_body(status: int, message: str) -> dict[str, object]:
    """The JSON error body the sandbox sends: status, reason phrase and message.

    Example:
        >>> error_body(429, "slow down")
        {'status': 429, 'error': 'Too Many Requests', 'message': 'slow down'}

    Raises:
        ValueError: status is not an HTTP status code.
    """
    return {"status": status, "error": HTTPStatus(status).phrase, "message": message}
