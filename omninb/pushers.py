"""The send loop of a push: units of work through a bounded pool, journaled before and after.

A *unit* is one HTTP request: a ``batching.Batch`` (POST) or a ``Single`` (PUT).
The coordinating thread journals a unit (``Journal.begin``) right before handing
it to a worker, so a unit is journaled only once it is about to be sent, and at
most ``workers`` requests are ever in flight. Workers only call the client, which
throttles and retries; every journal write happens on the coordinating thread
(SQLite connections are not shared between threads).

Why a pool even for batches: with 200 ms of network latency one connection
sending a 100-order batch per second idles 20 % of the rate; a small pool keeps
the next batch waiting in the throttle while the previous one is in flight.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from omninb import batching
from omninb.errors import AuthError, ConfigError, HTTPError, PayloadTooLargeError
from omninb.journal import Journal

__all__ = ["Outcome", "Sender", "Single", "Unit", "default_workers"]

log = logging.getLogger(__name__)

# Errors that would repeat on every request: stop instead of failing them one by one.
_FATAL = (AuthError, ConfigError)


@dataclass(frozen=True)
class Single:
    """One order for a PUT: its key, the userId for the URL and the body without userId."""

    key: str
    user_id: str
    payload: dict[str, Any] = field(repr=False)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,)

    @property
    def size(self) -> int:
        """Size in bytes of the JSON body (what the journal records for a PUT)."""
        return len(batching.encode(self.payload))


Unit = batching.Batch | Single


class _Client(Protocol):
    def send_batch(self, kind: str, body_gzip: bytes, **kw: Any) -> Any: ...
    def send_single(self, kind: str, user_id: str, payload: dict[str, Any], **kw: Any) -> Any: ...


@dataclass
class Outcome:
    """What the send loop ended with.

    Attributes:
        interrupted: KeyboardInterrupt stopped it after the in-flight requests finished.
        too_large: keys of single orders the API answered 413 for (never stored).
        fatal: an error that stopped the push (credentials refused, journal unwritable).
    """

    interrupted: bool = False
    too_large: list[str] = field(default_factory=list)
    fatal: BaseException | None = None


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold a Ctrl-C back until the block ends, then raise it.

    Journaling a request and tracking its worker must happen together: a
    KeyboardInterrupt between the two would leave a request that may be on the
    wire but that the drain never waits for. Only the main thread receives
    SIGINT (``_thread.interrupt_main`` goes through the same handler).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def default_workers(method: str) -> int:
    """Concurrent requests: enough to reach 100 orders/s with ~250 ms of latency.

    Example:
        >>> default_workers("batch"), default_workers("single")
        (3, 32)

    Raises:
        ValueError: method is not 'batch' or 'single'.
    """
    if method not in ("batch", "single"):
        raise ValueError(f"method must be 'batch' or 'single', not {method!r}")
    # batch: one on the wire, one waiting in the throttle, one spare for byte-limited
    # (smaller, more frequent) batches. single: 100/s x 0.25 s = 25 on the wire, plus a
    # few waiting in the throttle. Ctrl-C waits for these, so more would only slow a stop.
    return 3 if method == "batch" else 32


class Sender:
    """Sends units through a client, journaling each before and after.

    Example:
        >>> sender = Sender(client, journal, kind="orders", mode="offline", workers=4)  # doctest: +SKIP
        >>> outcome = sender.run(batching.pack(payloads))                                # doctest: +SKIP

    Raises:
        Nothing at construction; see ``run``.
    """

    def __init__(
        self,
        client: _Client,
        journal: Journal,
        *,
        kind: str,
        mode: str,
        workers: int,
        on_done: Callable[[int], None] = lambda n: None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {workers}")
        self.client, self.journal = client, journal
        self.kind, self.mode, self.workers = kind, mode, workers
        self.on_done = on_done

    def run(self, units: Iterable[Unit]) -> Outcome:
        """Send every unit; on KeyboardInterrupt let the in-flight ones finish, then stop.

        Example:
            >>> outcome = sender.run(units)  # doctest: +SKIP
            >>> outcome.interrupted, outcome.too_large  # doctest: +SKIP

        Raises:
            Nothing: interruption and fatal errors are reported in the Outcome.
        """
        outcome, retry_first = Outcome(), deque[Unit]()
        pending: dict[Future[Any], tuple[int, Unit]] = {}
        source = iter(units)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="omninb-push") as pool:
            try:
                self._loop(pool, source, retry_first, pending, outcome)
            except KeyboardInterrupt:
                outcome.interrupted = True
                log.warning("Push interrupted: waiting for %d requests in flight", len(pending))
            finally:
                # also on an unexpected error: what was sent is journaled before it propagates
                self._drain(pending, outcome)
        return outcome

    def _loop(
        self,
        pool: ThreadPoolExecutor,
        source: Iterator[Unit],
        retry_first: deque[Unit],
        pending: dict[Future[Any], tuple[int, Unit]],
        outcome: Outcome,
    ) -> None:
        while True:
            while len(pending) < self.workers and outcome.fatal is None:
                unit = retry_first.popleft() if retry_first else next(source, None)
                if unit is None:
                    break
                with _interrupts_held():
                    number = self.journal.begin(unit.keys, nbytes=unit.size)
                    pending[pool.submit(self._send, unit, number)] = (number, unit)
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                with _interrupts_held():  # settled once: journaled and then forgotten
                    self._settle(fut, *pending[fut], outcome, retry_first)
                    del pending[fut]

    def _drain(self, pending: dict[Future[Any], tuple[int, Unit]], outcome: Outcome) -> None:
        for fut in list(pending):
            fut.exception()  # waits; the worker is never interrupted mid-request
            self._settle(fut, *pending.pop(fut), outcome, None)

    def _send(self, unit: Unit, number: int) -> Any:
        kw = {"mode": self.mode, "request_no": number, "keys": unit.keys}
        if isinstance(unit, Single):
            return self.client.send_single(self.kind, unit.user_id, unit.payload, **kw)
        return self.client.send_batch(self.kind, unit.body, n_records=len(unit), **kw)

    def _settle(
        self,
        fut: Future[Any],
        number: int,
        unit: Unit,
        outcome: Outcome,
        retry_first: deque[Unit] | None,
    ) -> None:
        exc = fut.exception()
        if exc is None:
            self._answered(number, unit, fut.result())
        elif isinstance(exc, PayloadTooLargeError):
            self._too_large(number, unit, exc, outcome, retry_first)
        elif isinstance(exc, HTTPError) and not isinstance(exc, _FATAL):
            self._failed(number, exc.status_code, exc.server_message or str(exc), exc)
            self.on_done(len(unit.keys))
        else:
            self._failed(
                number, getattr(exc, "status_code", None), f"{type(exc).__name__}: {exc}", exc
            )
            outcome.fatal = outcome.fatal or exc
            self.on_done(len(unit.keys))

    def _answered(self, number: int, unit: Unit, answer: Any) -> None:
        self.journal.finish(
            number,
            ok=200 <= answer.status <= 299,
            status=answer.status,
            job_id=answer.job_id,
            message=answer.message,
            attempts=answer.attempts,
            uncertain=answer.uncertain,
            elapsed=answer.elapsed,
            sent_at=answer.sent_at,
        )
        self.on_done(len(unit.keys))

    def _failed(self, number: int, status: int | None, message: str, exc: BaseException) -> None:
        self.journal.finish(
            number,
            ok=False,
            status=status,
            message=message,
            attempts=getattr(exc, "attempts", None),
            uncertain=bool(getattr(exc, "uncertain", False)),
        )

    def _too_large(
        self,
        number: int,
        unit: Unit,
        exc: PayloadTooLargeError,
        outcome: Outcome,
        retry_first: deque[Unit] | None,
    ) -> None:
        said = exc.server_message or "Request Entity Too Large"
        if isinstance(unit, batching.Batch) and len(unit) > 1 and retry_first is not None:
            self._failed(
                number, 413, f"{said} (split in two; the halves are the next requests)", exc
            )
            retry_first.extendleft(reversed(batching.split(unit)))
            return
        if isinstance(unit, batching.Batch) and len(unit) > 1:
            # stopping: the orders stay unconfirmed and are packed again on resume
            self._failed(number, 413, f"{said} (not split: the push was stopped)", exc)
        else:
            self._failed(
                number, 413, f"{said} (this order alone is too large; not sent again)", exc
            )
            outcome.too_large.extend(unit.keys)
        self.on_done(len(unit.keys))
