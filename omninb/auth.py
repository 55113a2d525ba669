"""Bearer tokens for one gateway service, as a ``requests`` auth object.

``TokenAuth`` follows the shape of requests' ``HTTPDigestAuth``: it is attached
to each request, sets the ``Authorization`` header from a cached token, and a
response hook answers a 401 by refreshing the token once and re-sending the
request once. The token is fetched on first use and refreshed a little before
it expires (10 % of its lifetime, at most 5 minutes), so a 2-second token works
as well as an 8-hour one. There is no background thread: refreshing happens on
the caller's thread, under a lock, so concurrent requests share one fetch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from requests.auth import AuthBase

from omninb.errors import AuthError, HTTPError, error_for_status

__all__ = ["TokenAuth", "refresh_margin"]

_MAX_MARGIN = 300.0
_RETRIED = "_omninb_token_retried"  # marks a request already re-sent after a 401


def refresh_margin(ttl: float) -> float:
    """Seconds before expiry at which a token of lifetime ``ttl`` is renewed.

    Example:
        >>> refresh_margin(28_800), refresh_margin(2)
        (300.0, 0.2)

    Raises:
        Nothing.
    """
    return min(_MAX_MARGIN, max(0.0, ttl) * 0.1)


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float  # clock time after which the token is refreshed before use

    def __repr__(self) -> str:  # never show the bearer value
        return f"_Token(renew_at={self.renew_at:.1f})"


class TokenAuth(AuthBase):
    """Client-credentials bearer token for one service (import or status).

    Attributes:
        token_url: where tokens are requested (a form POST, DESIGN section 1).
        client_id: the OAuth2 client id (not a secret).
        fetches: how many tokens were fetched so far (for tests and logs).
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url, self.client_id = token_url, client_id
        self._secret = client_secret
        self._session = session or requests.Session()
        self._timeout, self._clock = timeout, clock
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self.fetches = 0

    def __repr__(self) -> str:
        state = "no token yet" if self._token is None else "token cached"
        return f"TokenAuth(token_url={self.token_url!r}, client_id={self.client_id!r}, {state})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = "Bearer " + self.token()
        request.register_hook("response", self.handle_401)
        return request

    def token(self) -> str:
        """The current token, fetched or refreshed first if needed.

        Example:
            >>> auth = TokenAuth(sb.url + "/omnichannel/api/v1/oauth2/token", cid, secret)  # doctest: +SKIP
            >>> len(auth.token()) > 0  # doctest: +SKIP
            True

        Raises:
            AuthError: the gateway refused the client id or secret (401/403).
            HTTPError: another error status, or a token answer without a token.
            TransportError: the token endpoint could not be reached.
        """
        current = self._token
        if current is not None and self._clock() < current.renew_at:
            return current.value
        with self._lock:
            # Another thread may have refreshed while this one waited for the lock.
            current = self._token
            if current is None or self._clock() >= current.renew_at:
                current = self._token = self._fetch()
            return current.value

    def invalidate(self, rejected: str | None = None) -> None:
        """Forget the cached token (only if it is still ``rejected``, when given).

        Comparing with the rejected value means many requests failing with the
        same stale token cause a single refresh, not one each.

        Example:
            >>> auth = TokenAuth("https://example.test/token", "cid", "secret")
            >>> auth.invalidate()

        Raises:
            Nothing.
        """
        with self._lock:
            if self._token is not None and rejected in (None, self._token.value):
                self._token = None

    def handle_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """Response hook: on a 401, refresh the token once and re-send the request once.

        Example:
            >>> session.get(url, auth=auth)  # doctest: +SKIP

        Raises:
            AuthError: the token could not be refreshed.
        """
        sent = response.request
        if response.status_code != 401 or getattr(sent, _RETRIED, False):
            return response
        header = sent.headers.get("Authorization", "")
        self.invalidate(header.removeprefix("Bearer "))
        response.content  # noqa: B018  (drain the body so the connection can be reused)
        response.close()
        again = sent.copy()
        again.headers["Authorization"] = "Bearer " + self.token()
        setattr(again, _RETRIED, True)
        # As HTTPDigestAuth does: send on the same adapter, without running hooks again.
        retried = response.connection.send(again, **kwargs)
        retried.history.append(response)
        retried.request = again
        return retried

    def _fetch(self) -> _Token:
        started = self._clock()
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret,
        }
        try:
            answer = self._session.post(self.token_url, data=form, timeout=self._timeout)
        except requests.RequestException as exc:
            raise error_for_status(None)(
                f"Could not reach the token endpoint {self.token_url} ({type(exc).__name__})"
            ) from None
        self.fetches += 1
        return _Token(*self._read(answer, started))

    def _read(self, answer: requests.Response, started: float) -> tuple[str, float]:
        if answer.status_code != 200:
            cls = (
                AuthError
                if answer.status_code in (400, 401, 403)
                else error_for_status(answer.status_code)
            )
            raise cls(
                f"Token request to {self.token_url} for client {self.client_id} was refused",
                status_code=answer.status_code,
                server_message=self._scrub(_server_message(answer)),
            )
        try:
            body = answer.json()
            value, ttl = str(body["access_token"]), float(body.get("expires_in", 28_800))
        except (ValueError, KeyError, TypeError):
            raise HTTPError(
                f"Token answer from {self.token_url} has no access_token/expires_in",
                status_code=answer.status_code,
            ) from None
        return value, started + ttl - refresh_margin(ttl)

    def _scrub(self, text: str | None) -> str | None:
        # A gateway that echoes the form back must not put the secret in our errors.
        return text.replace(self._secret, "***") if text and self._secret else text


def _server_message(answer: requests.Response) -> str | None:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200] or None
    if not isinstance(body, dict):
        return None
    return str(body.get("message") or body.get("error") or "") or None
