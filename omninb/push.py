"""Push a long POS DataFrame to the API: validate once, pack, send, journal, resume.

``push(df, client, ...)`` (also ``df.omni.push(client, ...)``) validates the
frame once, builds the bodies of the valid orders, skips the orders the journal
already confirmed, packs the rest into gzip batches (or one PUT per order) and
sends them through a bounded pool; ``client`` throttles and retries. It returns
a ``PushResult``.

Interrupting (the notebook's stop button, Ctrl-C) does not raise: the requests
in flight finish and are journaled, and ``push`` RETURNS the partial result with
``result.interrupted == True``, so ``result = df.omni.push(...)`` still binds it.
Pushing again with the same journal resumes.

Credentials refused (AuthError) or a ConfigError stop the push, since every
further request would fail the same way: the exception is raised after the
requests in flight finished, with the partial result attached as ``exc.result``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from omninb import batching
from omninb.errors import ValidationError
from omninb.fields import KINDS, LIMITS, record_key
from omninb.journal import Fingerprint, Journal, digest_payloads
from omninb.pushers import Outcome, Sender, Single, Unit, default_workers
from omninb.result import PushResult, invalid_frame, orders_frame, requests_frame

__all__ = [
    "Prepared",
    "PushOptions",
    "open_journal",
    "prepare",
    "progress_bar",
    "push",
    "push_prepared",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushOptions:
    """How to push; checked on construction.

    Example:
        >>> PushOptions(kind="returns", method="single").workers
        32

    Raises:
        ValueError: an option has a value the API does not know.
    """

    kind: str = "orders"
    mode: str = "offline"
    method: str = "batch"
    on_invalid: str = "raise"
    max_workers: int | None = None

    def __post_init__(self) -> None:
        allowed = {"kind": KINDS, "mode": ("offline", "online"), "on_invalid": ("raise", "skip")}
        for name, values in allowed.items():
            if getattr(self, name) not in values:
                raise ValueError(f"{name} must be one of {values}, not {getattr(self, name)!r}")
        if self.max_workers is not None and self.max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {self.max_workers}")
        default_workers(self.method)  # checks method

    @property
    def workers(self) -> int:
        """Requests in flight at most."""
        return self.max_workers or default_workers(self.method)


@dataclass(frozen=True)
class Prepared:
    """A validated frame ready to send: bodies of the valid orders, their keys, what was left out."""

    frame: pd.DataFrame = field(repr=False)
    payloads: list[dict[str, Any]] = field(repr=False)
    keys: list[str]
    invalid: pd.DataFrame = field(repr=False)


def prepare(df: pd.DataFrame, options: PushOptions) -> Prepared:
    """Validate once and build the bodies (with userId) of the valid orders.

    Example:
        >>> prepared = prepare(df, PushOptions(on_invalid="skip"))  # doctest: +SKIP
        >>> len(prepared.payloads), len(prepared.invalid)            # doctest: +SKIP

    Raises:
        omninb.ValidationError: some rows are invalid and on_invalid="raise" (nothing is sent).
    """
    from omninb import payloads, schemas

    report = schemas.validate(df, options.kind)
    if not report.ok and options.on_invalid == "raise":
        raise ValidationError(
            f"{report.message()} Nothing was sent. Fix these rows, or push with "
            "on_invalid='skip' to send the valid orders and get the others in result.invalid.",
            report=report,
        )
    bodies = payloads.from_valid(report.valid, options.kind, "batch")
    key = record_key(options.kind)
    return Prepared(df, bodies, [str(b[key]) for b in bodies], report.errors)


def open_journal(
    path: str | os.PathLike[str] | None, client: Any, options: PushOptions, input_id: str
) -> Journal:
    """Open (or create) the journal of this push: bound to kind, mode, URL, API key and input.

    Example:
        >>> with open_journal("import.sqlite", client, PushOptions(), "sha256:…") as j:  # doctest: +SKIP
        ...     ...

    Raises:
        omninb.JournalError: the journal belongs to another push, is locked or corrupt.
    """
    fp = Fingerprint.of(
        kind=options.kind,
        mode=options.mode,
        api_key=client.config.api_key,
        input_id=input_id,
        url=client.config.url,
    )
    return Journal(path, fp)


def progress_bar(enabled: bool, total: int | None = None, desc: str = "push") -> Any:
    """A tqdm.auto bar counting orders (a notebook widget or a terminal line).

    Example:
        >>> with progress_bar(False, total=10) as bar:
        ...     bar.update(10)

    Raises:
        Nothing.
    """
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        unit="order",
        desc=desc,
        disable=not enabled,
        smoothing=0.05,
        dynamic_ncols=True,
    )


def push(
    df: pd.DataFrame,
    client: Any,
    *,
    kind: str = "orders",
    mode: str = "offline",
    method: str = "batch",
    journal: str | os.PathLike[str] | None = None,
    on_invalid: str = "raise",
    progress: bool = True,
    input_id: str | None = None,
    max_workers: int | None = None,
) -> PushResult:
    """Send the orders (or returns) of a long DataFrame to the API; see the module docstring.

    Args:
        df: long frame, one row per line item, columns named after the API fields.
        client: an ``omninb.Client`` (it throttles to the API's rate and retries).
        kind: "orders" or "returns".
        mode: "offline" or "online".
        method: "batch" (gzip POSTs of up to 100 orders / 100 KB) or "single" (PUT per order).
        journal: SQLite file that records every request; pushing again with it resumes.
        on_invalid: "raise" (nothing is sent) or "skip" (valid orders go, the others
            are in ``result.invalid``).
        progress: show a tqdm bar with orders/s and ETA.
        input_id: identity of the input stored in the journal (default: a digest of the bodies).
        max_workers: requests in flight at most (default 3 for batch, 32 for single).

    Example:
        >>> with omninb.Sandbox(rate_limit=None) as sb, sb.client() as client:  # doctest: +SKIP
        ...     result = push(df, client, journal="import.sqlite")
        ...     print(result.summary())

    Raises:
        omninb.ValidationError: invalid rows and on_invalid="raise"; nothing was sent.
        omninb.JournalError: the journal belongs to another input or API key, or is
            locked, corrupt or unwritable.
        omninb.AuthError: the credentials were refused; ``exc.result`` is the partial result.
        ValueError: an option has an unknown value.
    """
    options = PushOptions(kind, mode, method, on_invalid, max_workers)
    prepared = prepare(df, options)
    ident = input_id or (digest_payloads(prepared.payloads) if journal is not None else "memory")
    with (
        open_journal(journal, client, options, ident) as j,
        progress_bar(progress, len(prepared.keys)) as bar,
    ):
        return push_prepared(prepared, client, j, options, bar)


def push_prepared(
    prepared: Prepared, client: Any, journal: Journal, options: PushOptions, bar: Any
) -> PushResult:
    """Send a prepared frame through an open journal (the CLI calls it once per chunk).

    Orders the journal already confirmed are not sent again.

    Example:
        >>> result = push_prepared(prepare(chunk, opts), client, journal, opts, bar)  # doctest: +SKIP

    Raises:
        omninb.JournalError: the journal cannot be written.
        omninb.AuthError: the credentials were refused (``exc.result`` is attached).
    """
    started = time.monotonic()
    done = journal.confirmed(prepared.keys)
    todo = [p for p, k in zip(prepared.payloads, prepared.keys, strict=True) if k not in done]
    _advance(bar, len(prepared.keys), len(done))
    oversize: list[batching.Oversize] = []
    sender = Sender(
        client,
        journal,
        kind=options.kind,
        mode=options.mode,
        workers=options.workers,
        on_done=bar.update,
    )
    outcome = sender.run(_units(todo, options, oversize, bar))
    result = _assemble(prepared, journal, options, outcome, oversize)
    result = replace(result, elapsed=time.monotonic() - started)
    if outcome.interrupted:
        log.warning("Push interrupted; requests in flight were journaled. %s", result.summary())
    if outcome.fatal is not None:
        outcome.fatal.result = result  # type: ignore[attr-defined]
        raise outcome.fatal
    return result


def _advance(bar: Any, orders: int, confirmed: int) -> None:
    """Make room for this frame's orders and count the journal's confirmed ones as done."""
    if bar.total is None or bar.total < bar.n + orders:
        bar.total = bar.n + orders
    bar.update(confirmed)


def _units(
    todo: list[dict[str, Any]], options: PushOptions, oversize: list[batching.Oversize], bar: Any
) -> Iterator[Unit]:
    key = record_key(options.kind)
    if options.method == "single":
        for body in todo:
            payload = {k: v for k, v in body.items() if k != "userId"}
            yield Single(str(body[key]), str(body["userId"]), payload)
        return
    for item in batching.pack(todo, key=key):
        if isinstance(item, batching.Oversize):
            oversize.append(item)
            bar.update(1)
        else:
            yield item


def _assemble(
    prepared: Prepared,
    journal: Journal,
    options: PushOptions,
    outcome: Outcome,
    oversize: list[batching.Oversize],
) -> PushResult:
    left_out = {o.key for o in oversize} | set(outcome.too_large)
    kept = [k for k in prepared.keys if k not in left_out]
    too_big = _too_large_rows(prepared, options.kind, oversize, outcome.too_large)
    return PushResult(
        options.kind,
        options.mode,
        options.method,
        requests=requests_frame(journal.requests(prepared.keys)),
        orders=orders_frame(journal.orders(kept)),
        invalid=invalid_frame(prepared.invalid, too_big),
        interrupted=outcome.interrupted,
        journal=journal.path,
    )


def _too_large_rows(
    prepared: Prepared, kind: str, oversize: list[batching.Oversize], refused: list[str]
) -> pd.DataFrame:
    """One .invalid row per order too large for a request: measured here or refused with 413."""
    sizes = {o.key: o.size for o in oversize} | dict.fromkeys(refused)
    if not sizes:
        return invalid_frame()
    from omninb.payloads import wire_values

    key = record_key(kind)
    ids = pd.Series(wire_values(key, prepared.frame[key]), index=prepared.frame.index)
    first_row = ids[~ids.duplicated()]
    rows = [
        _too_large_row(order, size, first_row.index[first_row == order])
        for order, size in sizes.items()
    ]
    return pd.DataFrame(rows)


def _too_large_row(order: str, size: int | None, where: pd.Index) -> dict[str, Any]:
    what = f"{size:,} bytes gzip-compressed" if size is not None else "refused by the API with 413"
    return {
        "row": where[0] if len(where) else None,
        "id": order,
        "column": "lineItems",
        "check": "max_gzip_bytes",
        "value": size,
        "message": (
            f"Order {order} is {what}, over the API's limit of {LIMITS.max_gzip_bytes:,} bytes "
            "for one request; it was not sent. Split its line items into smaller orders."
        ),
    }
