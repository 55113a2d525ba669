"""The gateway's behaviour without HTTP: tokens, rate window, import jobs, ledger, status answers.

The aiohttp app (app.py) only parses requests and calls these methods, so the
rules can be read in one place.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from omninb.sandbox.config import Credential, Knobs
from omninb.sandbox.faults import Faults
from omninb.sandbox.jobs import job_answer, make_event, page_offset
from omninb.sandbox.refusal import Refusal
from omninb.sandbox.rules import record_problem
from omninb.sandbox.store import Job, Store
from omninb.sandbox.tokens import TokenStore
from omninb.sandbox.window import RateWindow

__all__ = ["Gateway", "parse_mode"]


class Gateway:
    """Everything the sandbox knows and decides, behind the HTTP layer.

    Example:
        >>> gw = Gateway(Knobs(), (Credential("cid", "sec", ("k",)),), catalog=None)
        >>> gw.token("import", {"grant_type": "client_credentials",
        ...                     "client_id": "cid", "client_secret": "sec"})["expires_in"]
        28800

    Raises:
        Nothing at construction.
    """

    def __init__(
        self,
        knobs: Knobs,
        credentials: tuple[Credential, ...],
        catalog: frozenset[str] | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.knobs = knobs
        self.credentials = credentials
        self.catalog = catalog
        self.clock = clock
        self.tokens = TokenStore(credentials, knobs.token_ttl, clock)
        self.window = RateWindow(knobs.rate_limit)
        self.store = Store()
        self.faults = Faults(knobs)

    def token(self, service: str, params: Mapping[str, str]) -> dict[str, Any]:
        """Answer a token request (client credentials grant).

        Example:
            >>> gw = Gateway(Knobs(token_ttl=60), (Credential("c", "s", ("k",)),), None)
            >>> sorted(gw.token("status", {"grant_type": "client_credentials",
            ...                            "client_id": "c", "client_secret": "s"}))
            ['access_token', 'expires_in', 'token_type']

        Raises:
            Refusal: 400 for another grant type, 401 for wrong credentials.
        """
        grant = params.get("grant_type")
        if grant != "client_credentials":
            raise Refusal(400, f"grant_type must be client_credentials, not {grant!r}.")
        token = self.tokens.issue(service, params.get("client_id"), params.get("client_secret"))
        ttl = self.knobs.token_ttl
        return {
            "token_type": "bearer",
            "access_token": token,
            "expires_in": int(ttl) if ttl == int(ttl) else ttl,
        }

    def admit(self, api_key: str, count: int, arrived: float) -> None:
        """Count ``count`` records against the apiKey's 1-second window.

        Example:
            >>> gw = Gateway(Knobs(rate_limit=1), (Credential("c", "s", ("k",)),), None)
            >>> gw.admit("k", 1, arrived=0.0)

        Raises:
            Refusal: 429 with a Retry-After header when the window is full.
        """
        wait = self.window.admit(api_key, count, arrived)
        if wait is not None:
            raise Refusal(
                429,
                f"Rate limit exceeded for apiKey {api_key}: at most {self.knobs.rate_limit} records "
                f"per second; this request carries {count}. Retry after {wait} s.",
                headers={"Retry-After": str(wait)},
            )

    def ingest(
        self, api_key: str, kind: str, mode: str, records: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Validate and store records as one job; the import answer of the reference.

        Example:
            >>> gw = Gateway(Knobs(), (Credential("c", "s", ("k",)),), catalog=frozenset())
            >>> rec = {"id": 1, "userId": "u", "dateTime": "2022-04-25T12:21:55+09:00",
            ...        "lineItems": [{"productId": "p", "quantity": 1, "unitPrice": 1.0}]}
            >>> gw.ingest("k", "orders", "offline", [rec])["message"]
            'Total records = 1. Success = 0. Failed = 1'

        Raises:
            Nothing: record problems become WARNING events, not errors.
        """
        created = datetime.now(UTC)
        job = Job(str(uuid.uuid4()), api_key, kind, mode, len(records), 0, created, self.clock())
        for record in records:
            problem = record_problem(record, kind, self.catalog)
            if problem is None:
                self.store.put_record(api_key, kind, mode, record, job.job_id)
            else:
                job.events.append(make_event(record, kind, mode, problem, created))
        job.failed = len(job.events)
        self.store.add_job(job)
        message = f"Total records = {job.total}. Success = {job.success}. Failed = {job.failed}"
        return {"message": message, "time": int(created.timestamp() * 1000), "jobId": job.job_id}

    def events(self, api_key: str, job_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        """The status answer for a job: summary and one page of its events.

        Example:
            >>> gw = Gateway(Knobs(), (Credential("c", "s", ("k",)),), None)
            >>> gw.events("k", "nope", {})
            Traceback (most recent call last):
            ...
            omninb.sandbox.refusal.Refusal: Job nope is not known for apiKey k. Use the jobId of an import answered with this apiKey.

        Raises:
            Refusal: 404 for an unknown job or one of another apiKey; 400 for a bad
                showAll, rows or pageToken.
        """
        job = self.store.job(api_key, job_id)
        if job is None:
            raise Refusal(
                404,
                f"Job {job_id} is not known for apiKey {api_key}. "
                "Use the jobId of an import answered with this apiKey.",
            )
        show_all = _flag(query.get("showAll", "false"))
        rows = _rows(query.get("rows"))
        token = query.get("pageToken")
        offset = page_offset(job_id, token) if token else 0
        running = self.clock() - job.created_at < self.knobs.status_delay
        return job_answer(job, running=running, show_all=show_all, rows=rows, offset=offset)

    def ledger_rows(self, with_records: bool = False) -> list[dict[str, Any]]:
        """The ledger as a list of dicts (see Store.ledger_rows).

        Example:
            >>> Gateway(Knobs(), (Credential("c", "s", ("k",)),), None).ledger_rows()
            []

        Raises:
            Nothing.
        """
        return self.store.ledger_rows(with_records)


def parse_mode(value: str | None) -> str:
    """The import mode of a request: offline (default) or online.

    Example:
        >>> parse_mode(None), parse_mode("Online")
        ('offline', 'online')

    Raises:
        Refusal: 400 for any other value.
    """
    mode = (value or "offline").strip().lower()
    if mode not in ("offline", "online"):
        raise Refusal(400, f"mode must be offline or online, not {value!r}.")
    return mode


def _flag(value: str) -> bool:
    text = value.strip().lower()
    if text not in ("true", "false", ""):
        raise Refusal(400, f"showAll must be True or False, not {value!r}.")
    return text == "true"


def _rows(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise Refusal(400, f"rows must be a whole number >= 1, not {value!r}.")
    return int(value)
