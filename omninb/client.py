"""The HTTP client of the Omnichannel Order API: the only module that sends requests.

One ``requests.Session`` with a connection pool sized for the push's
concurrency; one ``TokenAuth`` per service (import, status); one ``Throttle``
that every import attempt, retries included, passes through. Sending is a
chain: ``_send_with_auth`` (which service's token) → ``_send_with_retries``
(what to do with each outcome) → ``_send_once`` (throttle, then one request).

Example:
    >>> from omninb.sandbox import Sandbox
    >>> with Sandbox() as sb, sb.client() as client:
    ...     answer = client.send_single("orders", "u1", {"id": "1", "dateTime":
    ...         "2022-04-25T12:21:55+09:00", "lineItems": [{"productId": "p",
    ...         "quantity": 1, "unitPrice": 2.5}]})
    ...     answer.status, answer.message
    (200, 'Total records = 1. Success = 1. Failed = 0')
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from omninb.answers import Answer, Departure, Failure, Where, server_message
from omninb.auth import TokenAuth
from omninb.batching import encode
from omninb.config import HOSTS, ClientConfig
from omninb.errors import HTTPError
from omninb.fields import KINDS
from omninb.retry import RetryPolicy, decide, delay, maybe_delivered, retry_after_seconds
from omninb.throttle import Slot, Throttle

__all__ = ["HOSTS", "Answer", "Client", "ClientConfig"]

log = logging.getLogger("omninb.client")

_IMPORT, _STATUS = "/omnichannel/api/v1", "/common-status/v1"


class Client:
    """Sends imports and reads job status for one API key in one environment.

    Thread-safe: a push may call ``send_batch``/``send_single`` from many threads.
    Use it in a ``with`` block or call ``close()``.

    Example:
        >>> client = Client(api_key="12345", client_id="c", client_secret="s", env="qa")
        >>> client
        Client(url='https://qa-gateway.richrelevance.com', api_key='12345', client_id='c', rate=100)
        >>> client.close()

    Raises:
        ConfigError: missing credentials, unknown env, or plain HTTP to a remote host.
    """

    def __init__(
        self,
        api_key: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        env: str = "qa",
        base_url: str | None = None,
        *,
        rate: int | None = 100,
        retry: RetryPolicy | None = None,
        pool_size: int = 32,
        timeout: tuple[float, float] = (5.0, 60.0),
        config: ClientConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config = config or ClientConfig(
            api_key or "", client_id or "", client_secret or "", env, base_url,
            rate, retry or RetryPolicy(), pool_size, timeout,
        )  # fmt: skip
        self._clock, self._sleep, self._rand = clock, sleep, rand
        self.session = self._make_session(self.config.pool_size)
        self.throttle = Throttle(self.config.rate, clock=clock, sleep=sleep)
        self._auth = {
            service: TokenAuth(
                f"{self.config.url}{prefix}/oauth2/token",
                self.config.client_id,
                self.config.client_secret,
                session=self.session,
                timeout=self.config.timeout,
                clock=clock,
            )
            for service, prefix in (("import", _IMPORT), ("status", _STATUS))
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Client:
        """A client configured from OMNI_* environment variables (see ClientConfig.from_env).

        Example:
            >>> Client.from_env({"OMNI_API_KEY": "k", "OMNI_CLIENT_ID": "c",
            ...                  "OMNI_CLIENT_SECRET": "s"}).config.env
            'qa'

        Raises:
            ConfigError: a variable is missing or a value is unsafe.
        """
        hooks = {k: options.pop(k) for k in ("clock", "sleep", "rand") if k in options}
        return cls(config=ClientConfig.from_env(environ, **options), **hooks)

    @staticmethod
    def _make_session(pool_size: int) -> requests.Session:
        session = requests.Session()
        # Retries are ours (throttled, journaled); urllib3 must not resend on its own.
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def __repr__(self) -> str:
        c = self.config
        return f"Client(url={c.url!r}, api_key={c.api_key!r}, client_id={c.client_id!r}, rate={c.rate})"

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections; the client cannot send afterwards.

        Example:
            >>> Client(api_key="k", client_id="c", client_secret="s").close()

        Raises:
            Nothing.
        """
        self.session.close()

    @property
    def auth(self) -> Mapping[str, TokenAuth]:
        """The token holders, by service: ``"import"`` and ``"status"``."""
        return dict(self._auth)

    def send_batch(
        self,
        kind: str,
        body: bytes,
        *,
        mode: str = "offline",
        n_records: int,
        request_no: int | None = None,
        keys: Iterable[str] = (),
    ) -> Answer:
        """POST a gzip-compressed JSON array of records (a ``batching.Batch.body``).

        Example:
            >>> batch = next(batching.pack(payloads))  # doctest: +SKIP
            >>> client.send_batch("orders", batch.body, n_records=len(batch), keys=batch.keys)  # doctest: +SKIP
            Answer(status=200, ..., message='Total records = 100. Success = 100. Failed = 0', ...)

        Raises:
            PayloadTooLargeError: 413, at once (split the batch and send the halves).
            BadRequestError, AuthError, NotFoundError: refused; not retried.
            RateLimitError, ServerError, TransportError: still failing after every retry.
        """
        url = f"{self._import_url}/{_kind(kind)}"
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        where = Where(request_no, tuple(keys))
        return self._send_with_auth(
            "POST",
            url,
            "import",
            where,
            n_records,
            data=body,
            headers=headers,
            params={"mode": mode},
        )

    def send_single(
        self,
        kind: str,
        user_id: str,
        payload: Mapping[str, Any],
        *,
        mode: str = "offline",
        request_no: int | None = None,
        keys: Iterable[str] = (),
    ) -> Answer:
        """PUT one record to ``.../{kind}/users/{userId}`` (the user id is URL-quoted).

        Example:
            >>> client.send_single("orders", "user A/1", order, keys=[order["id"]])  # doctest: +SKIP
            Answer(status=200, ..., message='Total records = 1. Success = 1. Failed = 0', ...)

        Raises:
            BadRequestError, AuthError, NotFoundError: refused; not retried.
            RateLimitError, ServerError, TransportError: still failing after every retry.
        """
        url = f"{self._import_url}/{_kind(kind)}/users/{quote(str(user_id), safe='')}"
        headers = {"Content-Type": "application/json"}
        where = Where(request_no, tuple(keys))
        return self._send_with_auth(
            "PUT",
            url,
            "import",
            where,
            1,
            data=encode(payload),
            headers=headers,
            params={"mode": mode},
        )

    def job_events(
        self, job_id: str, *, show_all: bool = True, rows: int | None = None
    ) -> dict[str, Any]:
        """Every status event of an import job, following pagination to the end.

        Example:
            >>> client.job_events(answer.job_id)["summary"]["job-status"]  # doctest: +SKIP
            'PROCESSING'

        Returns:
            ``{"summary": <first page's summary>, "result": [events of all pages]}``.

        Raises:
            NotFoundError: the job is not known for this api key (404).
            AuthError, BadRequestError: refused; not retried.
            RateLimitError, ServerError, TransportError: still failing after every retry.
        """
        url = f"{self.config.url}{_STATUS}/{quote(self.config.api_key, safe='')}/job/{quote(job_id, safe='')}/events"
        params: dict[str, str] = {"showAll": "true" if show_all else "false"}
        if rows is not None:
            params["rows"] = str(rows)
        first = page = self._status_page(url, job_id, params)
        events = list(page.get("result") or [])
        while token := (page.get("pagination") or {}).get("nextPageToken"):
            page = self._status_page(url, job_id, {**params, "pageToken": token})
            events.extend(page.get("result") or [])
        return {"summary": first.get("summary"), "result": events}

    def _status_page(self, url: str, job_id: str, params: Mapping[str, str]) -> dict[str, Any]:
        answer = self._send_with_auth("GET", url, "status", Where(job_id=job_id), 0, params=params)
        if not isinstance(answer.body, dict):
            raise HTTPError(
                f"Status answer for job {job_id} is not a JSON object",
                status_code=answer.status,
                job_id=job_id,
            )
        return answer.body

    @property
    def _import_url(self) -> str:
        return f"{self.config.url}{_IMPORT}/{quote(self.config.api_key, safe='')}"

    def _send_with_auth(
        self, method: str, url: str, service: str, where: Where, n_records: int, **kw: Any
    ) -> Answer:
        return self._send_with_retries(method, url, self._auth[service], where, n_records, **kw)

    def _send_with_retries(
        self, method: str, url: str, auth: TokenAuth, where: Where, n_records: int, **kw: Any
    ) -> Answer:
        left, uncertain, attempt = Departure(), False, 0
        while True:
            attempt += 1
            retry_after, said = None, None
            try:
                response = self._send_once(method, url, auth, n_records, attempt, left, **kw)
            except (requests.RequestException, HTTPError) as exc:
                uncertain = uncertain or maybe_delivered(exc)
                outcome: int | BaseException = exc
            else:
                if response.status_code < 400:
                    return _answer(response, attempt, uncertain, left, self._clock())
                outcome, (retry_after, said) = response.status_code, self._refusal(response)
            verdict = decide(outcome, attempt, self.config.retry)
            if not verdict.retry:
                failure = Failure(method, url, where, attempt, uncertain, verdict.reason)
                raise failure.error(outcome, said)
            self._sleep(delay(attempt, self.config.retry, retry_after=retry_after, rand=self._rand))

    def _refusal(self, response: requests.Response) -> tuple[float | None, str | None]:
        """Read an error answer: (Retry-After seconds, server message); adapt the throttle."""
        if response.status_code == 429 and self.throttle.rate is not None:
            self.throttle.penalize()  # the throttle kept the rate, yet the server saw more
        said = server_message(_body(response))
        response.close()
        return retry_after_seconds(response.headers.get("Retry-After"), now=time.time()), said

    def _send_once(
        self,
        method: str,
        url: str,
        auth: TokenAuth,
        n_records: int,
        attempt: int,
        left: Departure,
        **kw: Any,
    ) -> requests.Response:
        slot = None
        if n_records:
            # Fetch or refresh the token first: between the throttle's slot and the
            # request's arrival there must be nothing slower than sending it.
            auth.token()
            slot = self.throttle.reserve(n_records)
        sent = self._clock()
        left.mark(sent)
        path = urlsplit(url).path
        try:
            response = self.session.request(
                method, url, auth=auth, timeout=self.config.timeout, **kw
            )
        except requests.RequestException as exc:
            log.debug(
                "%s %s -> no answer (%s), attempt %d", method, path, type(exc).__name__, attempt
            )
            raise
        log.debug(
            "%s %s -> %d, attempt %d, %.3fs",
            method,
            path,
            response.status_code,
            attempt,
            self._clock() - sent,
        )
        if slot is not None and response.ok:
            self._learn_arrival(slot, response)
        return response

    def _learn_arrival(self, slot: Slot, response: requests.Response) -> None:
        # The import answer's "time" (epoch ms) is the server's clock when it took
        # the records: it tells the throttle how late this request really arrived.
        # That includes a re-send after a 401 (TokenAuth's hook, not throttled
        # itself): the server counted only the re-send, and this moves the slot to it.
        body = _body(response)
        stamp = body.get("time") if isinstance(body, dict) else None
        if isinstance(stamp, int | float) and not isinstance(stamp, bool):
            self.throttle.arrived(slot, stamp / 1000)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be 'orders' or 'returns', not {kind!r}")
    return kind


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _answer(
    response: requests.Response, attempts: int, uncertain: bool, left: Departure, now: float
) -> Answer:
    body = _body(response)
    fields = body if isinstance(body, dict) else {}
    job_id = fields.get("jobId")
    return Answer(
        status=response.status_code,
        body=body,
        message=fields.get("message"),
        job_id=str(job_id) if job_id is not None else None,
        attempts=attempts,
        uncertain=uncertain,
        elapsed=now - left.at if left.at is not None else 0.0,
        sent_at=left.wall,
    )
