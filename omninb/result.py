"""PushResult: what a push sent, what the API answered, and what was left out.

Three DataFrames an analyst can filter and the views (status, reconcile,
dashboard) read:

- ``requests``: one row per HTTP request (``request, orders, bytes, status,
  jobId, message, success, failed, attempts, uncertain, sent_at, elapsed``).
  ``success``/``failed`` are parsed from the API's
  ``"Total records = N. Success = S. Failed = F"`` message. ``sent_at`` is when
  an answered request left (after the throttle let it go); for a request given
  up on, it is when the request was journaled, just before its first attempt.
- ``orders``: one row per order that entered the push (``id, request, jobId,
  state, uncertain``); ``state`` is ``sent`` (the API answered 2xx for its
  latest request), ``failed`` (the API refused it or never answered after every
  retry) or ``unsent`` (not sent yet, e.g. the push was interrupted).
  ``uncertain`` marks orders that may be stored twice (an answer was lost).
- ``invalid``: rows that were never sent and why (``row, id, column, check,
  value, message``): validation errors and orders too large for one request.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pandas as pd

__all__ = [
    "INVALID_COLUMNS",
    "ORDER_COLUMNS",
    "REQUEST_COLUMNS",
    "PushResult",
    "Summary",
    "invalid_frame",
    "orders_frame",
    "parse_counts",
    "requests_frame",
]

REQUEST_COLUMNS = (
    "request",
    "orders",
    "bytes",
    "status",
    "jobId",
    "message",
    "success",
    "failed",
    "attempts",
    "uncertain",
    "sent_at",
    "elapsed",
)
ORDER_COLUMNS = ("id", "request", "jobId", "state", "uncertain")
INVALID_COLUMNS = ("row", "id", "column", "check", "value", "message")
ORDER_STATES = ("sent", "failed", "unsent")

# The import answer's only machine-readable counts live in this sentence.
_COUNTS = r"Total records\s*=\s*(?P<total>\d+)\.\s*Success\s*=\s*(?P<success>\d+)\.\s*Failed\s*=\s*(?P<failed>\d+)"


def parse_counts(messages: pd.Series) -> pd.DataFrame:
    """Parse ``success`` and ``failed`` from the API's import messages.

    Messages that are not an import summary (errors, missing answers) give <NA>.

    Example:
        >>> parse_counts(pd.Series(["Total records = 3. Success = 2. Failed = 1", None]))
           success  failed
        0        2       1
        1     <NA>    <NA>

    Raises:
        Nothing.
    """
    found = messages.astype("string").str.extract(_COUNTS)
    return found[["success", "failed"]].astype("Int64")


def requests_frame(rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Normalise raw request rows (as the journal stores them) into ``.requests``.

    ``rows`` needs ``request, orders, bytes, status, jobId, message, attempts,
    uncertain, sent_at`` (seconds since the epoch) and ``elapsed``.

    Example:
        >>> list(requests_frame().columns) == list(REQUEST_COLUMNS)
        True

    Raises:
        KeyError: a needed column is missing from ``rows``.
    """
    raw = pd.DataFrame(columns=[c for c in REQUEST_COLUMNS if c not in ("success", "failed")])
    raw = raw if rows is None else rows
    out = pd.DataFrame(index=range(len(raw)))
    for col in ("request", "orders", "bytes", "status", "attempts"):
        out[col] = pd.array(raw[col].to_numpy(), dtype="Int64")
    for col in ("jobId", "message"):
        out[col] = pd.array(raw[col].to_numpy(), dtype="string")
    counts = parse_counts(out["message"])
    out["success"], out["failed"] = counts["success"], counts["failed"]
    out["uncertain"] = raw["uncertain"].fillna(0).astype(bool).to_numpy()
    sent = pd.to_numeric(raw["sent_at"], errors="coerce").to_numpy(dtype=float)
    out["sent_at"] = pd.to_datetime(sent, unit="s", utc=True)
    out["elapsed"] = pd.to_numeric(raw["elapsed"], errors="coerce").to_numpy(dtype=float)
    return out[list(REQUEST_COLUMNS)]


def orders_frame(rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Normalise raw order rows (``id, request, jobId, state, uncertain``) into ``.orders``.

    Example:
        >>> orders_frame(pd.DataFrame({"id": ["7"], "request": [1], "jobId": ["j"],
        ...                            "state": ["sent"], "uncertain": [0]})).dtypes["state"]
        CategoricalDtype(categories=['sent', 'failed', 'unsent'], ordered=False, categories_dtype=str)

    Raises:
        KeyError: a needed column is missing from ``rows``.
    """
    raw = pd.DataFrame(columns=list(ORDER_COLUMNS)) if rows is None else rows
    out = pd.DataFrame(index=range(len(raw)))
    out["id"] = pd.array(raw["id"].to_numpy(), dtype="string")
    out["request"] = pd.array(raw["request"].to_numpy(), dtype="Int64")
    out["jobId"] = pd.array(raw["jobId"].to_numpy(), dtype="string")
    state = pd.Series(raw["state"].to_numpy(), dtype=object).fillna("unsent")
    out["state"] = pd.Categorical(state, categories=ORDER_STATES)
    out["uncertain"] = raw["uncertain"].fillna(0).astype(bool).to_numpy()
    return out


def invalid_frame(*parts: pd.DataFrame) -> pd.DataFrame:
    """Concatenate frames of never-sent rows into ``.invalid`` (``row, id, column, check, value, message``).

    Example:
        >>> list(invalid_frame().columns)
        ['row', 'id', 'column', 'check', 'value', 'message']

    Raises:
        KeyError: a part lacks one of the columns.
    """
    frames = [p[list(INVALID_COLUMNS)] for p in parts if len(p)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in INVALID_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    # values come from any column of the input; objects keep them as they were.
    out["value"] = out["value"].astype(object)
    out["id"] = out["id"].astype("string")
    return out


@dataclass(frozen=True)
class Summary:
    """Counts of one push (or, added together, of several chunks of one push).

    Attributes:
        orders: orders that entered the push (valid, within the size limit).
        sent, failed, unsent: their states (see ``PushResult.orders``).
        invalid: orders never sent because they break the API's rules or limits.
        uncertain: orders that may have been stored twice (an answer was lost).
        requests: HTTP requests journaled for these orders.
        rejected_by_server: records the API counted as ``Failed`` in its answers.
        interrupted: the push was stopped before every order was sent.
    """

    orders: int = 0
    sent: int = 0
    failed: int = 0
    unsent: int = 0
    invalid: int = 0
    uncertain: int = 0
    requests: int = 0
    rejected_by_server: int = 0
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        """True when every order was sent and accepted and nothing was left out."""
        return self.orders == self.sent and not (self.invalid or self.rejected_by_server)

    def __add__(self, other: Summary) -> Summary:
        merged = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        merged["interrupted"] = self.interrupted or other.interrupted
        return Summary(**merged)

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict (for logs and JSON)."""
        return asdict(self)

    def __str__(self) -> str:
        head = "INTERRUPTED: " if self.interrupted else ""
        text = (
            f"{head}{self.sent:,} of {self.orders:,} orders sent in {self.requests:,} requests; "
            f"{self.failed:,} failed, {self.unsent:,} unsent, {self.invalid:,} invalid (not sent), "
            f"{self.rejected_by_server:,} rejected by the server, {self.uncertain:,} uncertain."
        )
        if self.failed or self.unsent or self.interrupted:
            text += " Push again with the same journal to send what is left."
        return text


@dataclass(frozen=True, repr=False)
class PushResult:
    """The outcome of ``omninb.push.push``; see the module docstring for the frames.

    Attributes:
        kind, mode, method: what was pushed and how.
        requests, orders, invalid: the three frames.
        interrupted: True when KeyboardInterrupt stopped the push; the requests in
            flight finished and were journaled, and pushing again resumes.
        journal: path of the journal file, or None.
        elapsed: seconds the push took.
    """

    kind: str
    mode: str
    method: str
    requests: pd.DataFrame = field(default_factory=requests_frame)
    orders: pd.DataFrame = field(default_factory=orders_frame)
    invalid: pd.DataFrame = field(default_factory=invalid_frame)
    interrupted: bool = False
    journal: str | None = None
    elapsed: float = 0.0

    def summary(self) -> Summary:
        """Counts of orders by state, invalid rows, requests and server-side failures.

        Example:
            >>> print(PushResult("orders", "offline", "batch").summary())
            0 of 0 orders sent in 0 requests; 0 failed, 0 unsent, 0 invalid (not sent), 0 rejected by the server, 0 uncertain.

        Raises:
            Nothing.
        """
        states = self.orders["state"].value_counts()
        return Summary(
            orders=len(self.orders),
            sent=int(states.get("sent", 0)),
            failed=int(states.get("failed", 0)),
            unsent=int(states.get("unsent", 0)),
            invalid=int(self.invalid["id"].nunique(dropna=False)) if len(self.invalid) else 0,
            uncertain=int(self.orders["uncertain"].sum()),
            requests=len(self.requests),
            rejected_by_server=int(self.requests["failed"].sum(skipna=True)),
            interrupted=self.interrupted,
        )

    def failures(self) -> pd.DataFrame:
        """Requests that did not get a 2xx answer, with the server's message.

        Example:
            >>> PushResult("orders", "offline", "batch").failures().empty
            True

        Raises:
            Nothing.
        """
        status = self.requests["status"]
        bad = status.isna() | (status < 200) | (status > 299)
        return self.requests[bad.fillna(True).astype(bool)]

    def __repr__(self) -> str:
        where = f", journal={self.journal!r}" if self.journal else ""
        return (
            f"PushResult(kind={self.kind!r}, mode={self.mode!r}, method={self.method!r}"
            f"{where}, elapsed={self.elapsed:.1f}s)\n  {self.summary()}"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        title = html.escape(f"PushResult: {self.kind}, mode={self.mode}, method={self.method}")
        banner = "<p><b>Interrupted</b>: push again with the same journal to resume.</p>"
        table = pd.Series(s.as_dict(), name="count").to_frame().to_html()
        failing = self.failures().head(10)
        extra = (
            "" if failing.empty else "<p>First failed requests:</p>" + failing.to_html(index=False)
        )
        return f"<div><h4>{title}</h4>{banner if s.interrupted else ''}{table}{extra}</div>"
