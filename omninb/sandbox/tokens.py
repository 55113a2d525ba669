"""Bearer tokens per service (import, status) with a time to live, like the gateway's OAuth2.

Thread-safe: tokens are issued on the server thread and may be inspected from tests.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from omninb.sandbox.config import Credential
from omninb.sandbox.refusal import Refusal

__all__ = ["SERVICES", "Issued", "TokenStore"]

SERVICES = ("import", "status")
_PURGE_AFTER = 3600.0  # keep expired tokens an hour so a late caller hears "expired", not "unknown"


@dataclass(frozen=True)
class _Grant:
    service: str
    client_id: str
    expires_at: float


@dataclass(frozen=True)
class Issued:
    """One token the sandbox handed out (for tests and audits; the value is kept out of repr).

    Attributes:
        service: "import" or "status".
        client_id: the client it was issued to.
        token: the bearer value.
        issued_at: the sandbox's monotonic clock when issued.
        expires_at: when it stops being accepted.
    """

    service: str
    client_id: str
    token: str = field(repr=False)
    issued_at: float
    expires_at: float


class TokenStore:
    """Issues and checks bearer tokens for the sandbox's clients.

    Example:
        >>> store = TokenStore([Credential("cid", "sec", ("k",))], ttl=60)
        >>> token = store.issue("import", "cid", "sec")
        >>> store.check("import", "Bearer " + token, "k")

    Raises:
        Nothing at construction.
    """

    def __init__(
        self,
        credentials: Iterable[Credential],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = {c.client_id: c for c in credentials}
        self._ttl = ttl
        self._clock = clock
        self._grants: dict[str, _Grant] = {}
        self._issued: list[Issued] = []
        self._refused: Counter[str] = Counter()
        self._lock = threading.Lock()

    def issue(self, service: str, client_id: str | None, client_secret: str | None) -> str:
        """A new token for ``service`` if the client id and secret match.

        Example:
            >>> store = TokenStore([Credential("cid", "sec", ("k",))], ttl=60)
            >>> len(store.issue("status", "cid", "sec")) > 20
            True

        Raises:
            Refusal: 401 when the client is unknown or the secret is wrong.
        """
        client = self._clients.get(client_id or "")
        if client is None or not hmac.compare_digest(
            client.client_secret.encode(), (client_secret or "").encode()
        ):
            raise Refusal(
                401,
                f"Unknown client_id {client_id!r} or wrong client_secret. "
                "Use the credentials the sandbox printed (sb.credentials).",
            )
        token = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._purge(now)
            self._grants[token] = _Grant(service, client.client_id, now + self._ttl)
            self._issued.append(Issued(service, client.client_id, token, now, now + self._ttl))
        return token

    def issued(self) -> tuple[Issued, ...]:
        """Every token issued so far, oldest first (expired ones included).

        Example:
            >>> store = TokenStore([Credential("cid", "sec", ("k",))], ttl=60)
            >>> _ = store.issue("import", "cid", "sec")
            >>> [(i.service, i.client_id) for i in store.issued()]
            [('import', 'cid')]

        Raises:
            Nothing.
        """
        with self._lock:
            return tuple(self._issued)

    def refusals(self) -> dict[str, int]:
        """How many requests were answered 401 by ``check``, by reason.

        Reasons: ``missing``, ``unknown``, ``other service``, ``expired``, ``api key``.

        Example:
            >>> TokenStore([Credential("cid", "sec", ("k",))], ttl=60).refusals()
            {}

        Raises:
            Nothing.
        """
        with self._lock:
            return dict(self._refused)

    def _refuse(self, reason: str, message: str) -> Refusal:
        with self._lock:
            self._refused[reason] += 1
        return Refusal(401, message)

    def check(self, service: str, authorization: str | None, api_key: str) -> None:
        """Accept a request whose Authorization header carries a live token of ``service``.

        Example:
            >>> store = TokenStore([Credential("cid", "sec", ("k",))], ttl=60)
            >>> store.check("import", None, "k")
            Traceback (most recent call last):
            ...
            omninb.sandbox.refusal.Refusal: No bearer token: send 'Authorization: Bearer <token>' from POST /omnichannel/api/v1/oauth2/token.

        Raises:
            Refusal: 401 for a missing, unknown, expired or foreign token, or an apiKey
                the token's client may not use.
        """
        try:
            token = _bearer(authorization, service)
        except Refusal as refusal:
            raise self._refuse("missing", str(refusal)) from None
        grant = self._grants.get(token)
        if grant is None:
            raise self._refuse(
                "unknown", f"Unknown bearer token. Request a new one from {_token_path(service)}."
            )
        if grant.service != service:
            raise self._refuse(
                "other service",
                f"This is a {grant.service} token; the {service} service needs its own "
                f"token from {_token_path(service)}.",
            )
        if self._clock() >= grant.expires_at:
            raise self._refuse(
                "expired",
                f"The bearer token has expired. Request a new one from {_token_path(service)}.",
            )
        if api_key not in self._clients[grant.client_id].api_keys:
            raise self._refuse(
                "api key",
                f"Client {grant.client_id} is not allowed apiKey {api_key}. Check the apiKey.",
            )

    def _purge(self, now: float) -> None:
        stale = [t for t, g in self._grants.items() if g.expires_at + _PURGE_AFTER < now]
        for token in stale:
            del self._grants[token]


def _token_path(service: str) -> str:
    if service == "import":
        return "POST /omnichannel/api/v1/oauth2/token"
    return "POST /common-status/v1/oauth2/token"


def _bearer(authorization: str | None, service: str) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refusal(
            401,
            f"No bearer token: send 'Authorization: Bearer <token>' from {_token_path(service)}.",
        )
    return token.strip()
