"""The push journal: which orders went in which request, before sending and after the answer.

A journal is one SQLite file (stdlib ``sqlite3``, WAL). Before a request is
handed to the network its orders are committed under a new request number
(state ``pending``); when the answer comes its status, jobId, message,
attempts and ``uncertain`` flag are committed (state ``sent`` or ``failed``).
A process killed at any moment therefore leaves every order either confirmed,
failed, or in a ``pending`` request that was in flight. Opening the journal
again marks those ``abandoned`` and uncertain (they may have been stored), and
the push re-sends every order that is not confirmed.

The journal belongs to one input and one API key: its fingerprint (kind, mode,
SHA-256 of the API key, input identity) is stored on creation and a different
one is refused. It never stores a client secret, a token or the API key itself.

Only the thread that opened a journal may use it (the push engine journals from
its coordinating thread; workers only do HTTP).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from omninb.errors import JournalError
from omninb.fingerprint import Fingerprint, digest_payloads, held_by_other, owner_record

__all__ = ["Fingerprint", "Journal", "digest_payloads"]  # the first and last re-exported

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    request   INTEGER PRIMARY KEY,
    orders    INTEGER NOT NULL,
    bytes     INTEGER,
    state     TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'abandoned')),
    status    INTEGER,
    job_id    TEXT,
    message   TEXT,
    attempts  INTEGER,
    uncertain INTEGER NOT NULL DEFAULT 0,
    sent_at   REAL NOT NULL,
    elapsed   REAL
);
CREATE TABLE IF NOT EXISTS members (
    key TEXT NOT NULL, request INTEGER NOT NULL, PRIMARY KEY (key, request)
) WITHOUT ROWID;
"""

_ABANDONED = (
    "No answer recorded: the run that sent this request stopped while it was in flight; "
    "it may have been stored, so its orders are marked uncertain and are sent again."
)


class Journal:
    """An open journal bound to one fingerprint; use as a context manager.

    Example:
        >>> fp = Fingerprint.of(kind="orders", mode="offline", api_key="k", input_id="x")
        >>> with Journal(None, fp) as j:  # None: in memory, for a push without a file
        ...     n = j.begin(["A1", "A2"], nbytes=420)
        ...     j.finish(n, ok=True, status=200, message="Total records = 2. Success = 2. Failed = 0")
        ...     sorted(j.confirmed(["A1", "A2", "B"]))
        ['A1', 'A2']

    Raises:
        JournalError: the file is not a journal, is corrupt, locked, in use by another
            running push, or belongs to another input or API key.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None, fingerprint: Fingerprint, *, timeout: float = 5.0
    ) -> None:
        self.path = None if path is None else str(Path(path))
        self.fingerprint = fingerprint
        self._conn: sqlite3.Connection | None = None
        self._owner = False  # True once this object holds the journal (and must release it)
        with self._guard("open"):
            self._conn = sqlite3.connect(
                self.path or ":memory:", timeout=timeout, isolation_level=None
            )
            self._setup()
        try:
            self._claim(fingerprint)
        except BaseException:
            self.close()
            raise

    # -- lifecycle ---------------------------------------------------------------

    def _setup(self) -> None:
        conn = self._db
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL survives a killed process (only a power cut can lose the last commits).
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS sel (pos INTEGER PRIMARY KEY, key TEXT NOT NULL)"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS temp.sel_key ON sel (key)")

    def _claim(self, fingerprint: Fingerprint) -> None:
        with self._guard("check the fingerprint of"), self._tx() as conn:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if "schema" not in meta:
                self._create(conn, fingerprint)
            else:
                self._check(meta, fingerprint)
                self._check_owner(meta.get("owner"))
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('owner', ?)", (owner_record(),))
            conn.execute(
                "UPDATE requests SET state='abandoned', uncertain=1, message=? WHERE state='pending'",
                (_ABANDONED,),
            )
        self._owner = True

    def _create(self, conn: sqlite3.Connection, fingerprint: Fingerprint) -> None:
        if conn.execute("SELECT count(*) FROM requests").fetchone()[0]:
            raise self._error("has requests but no fingerprint; it is not an omninb journal")
        rows = [("schema", SCHEMA_VERSION), *asdict(fingerprint).items()]
        conn.executemany("INSERT INTO meta VALUES (?, ?)", rows)

    def _check(self, meta: dict[str, str], fingerprint: Fingerprint) -> None:
        if meta["schema"] != SCHEMA_VERSION:
            raise self._error(
                f"has schema version {meta['schema']}, this omninb writes {SCHEMA_VERSION}"
            )
        labels = {
            "kind": "kind",
            "mode": "mode",
            "url": "API URL (environment)",
            "api_key_sha256": "API key",
            "input_id": "input",
        }
        for name, label in labels.items():
            stored, given = meta.get(name), getattr(fingerprint, name)
            if stored != given:
                shown = (stored or "")[:40], given[:40]  # hash prefixes only, never a key
                raise self._error(
                    f"belongs to another {label} ({name} {shown[0]!r}… in the journal, {shown[1]!r}… now). "
                    "Use a new journal file for a different input, API key or environment, or push the same "
                    "input with the same credentials to resume"
                )

    def _check_owner(self, owner_json: str | None) -> None:
        pid = held_by_other(owner_json)
        if pid is not None:
            raise self._error(
                f"is in use by another running push (process {pid}); wait for it to "
                "finish or stop it, then push again"
            )

    def close(self) -> None:
        """Release the journal (safe to call twice).

        Example:
            >>> j = Journal(None, Fingerprint("orders", "offline", "h", "i")); j.close(); j.close()

        Raises:
            Nothing.
        """
        if self._conn is None:
            return
        if self._owner:  # never release a lock that another running push holds
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("DELETE FROM meta WHERE key='owner'")
        self._conn.close()
        self._conn = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({self.path or ':memory:'!r}, kind={self.fingerprint.kind!r}, mode={self.fingerprint.mode!r})"

    # -- plumbing ----------------------------------------------------------------

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise JournalError(
                f"The journal {self.path or ':memory:'} is closed; open it again.", self.path
            )
        return self._conn

    def _error(self, what: str) -> JournalError:
        return JournalError(f"The journal {self.path or ':memory:'} {what}.", self.path)

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text:
                hint = "another process holds it locked; wait for it or use another journal file"
            elif "no such" in text or "has no column" in text:
                hint = "it is not an omninb journal; move it aside or choose another path"
            else:
                hint = "check that the file is writable and the disk is not full"
            raise self._error(f"could not {action} it ({exc}): {hint}") from exc
        except sqlite3.DatabaseError as exc:
            raise self._error(
                f"is not a readable omninb journal ({exc}); it may be corrupt or another "
                "kind of file: move it aside and push with a new journal"
            ) from exc

    @contextlib.contextmanager
    def _tx(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        conn = self._db
        conn.execute(f"BEGIN {mode}")
        try:
            yield conn
        except BaseException:
            # SQLite has already rolled back after some errors (disk full): a second
            # ROLLBACK would fail and hide the real cause from the message.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _select(self, conn: sqlite3.Connection, keys: Sequence[str]) -> None:
        conn.execute("DELETE FROM sel")
        conn.executemany("INSERT INTO sel (key) VALUES (?)", ((k,) for k in keys))

    # -- writing -----------------------------------------------------------------

    def begin(self, keys: Sequence[str], *, nbytes: int | None = None) -> int:
        """Commit a new request holding ``keys`` (state pending) and return its number.

        Call it BEFORE sending, so a crash leaves the request marked as in flight.

        Example:
            >>> j = Journal(None, Fingerprint("orders", "offline", "h", "i"))
            >>> j.begin(["A1"]), j.begin(["A2"])
            (1, 2)

        Raises:
            JournalError: the journal cannot be written.
        """
        with self._guard("record a request in"), self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO requests (orders, bytes, state, sent_at) VALUES (?, ?, 'pending', ?)",
                (len(keys), nbytes, time.time()),
            )
            number = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT OR IGNORE INTO members VALUES (?, ?)", ((k, number) for k in keys)
            )
        return number

    def finish(
        self,
        request: int,
        *,
        ok: bool,
        status: int | None = None,
        job_id: str | None = None,
        message: str | None = None,
        attempts: int | None = None,
        uncertain: bool = False,
        elapsed: float | None = None,
        sent_at: float | None = None,
    ) -> None:
        """Commit the answer (or the final failure) of a request.

        ``sent_at`` (epoch seconds), when known, replaces the time the request was
        journaled with the time it actually left, after the throttle let it go.

        Example:
            >>> j = Journal(None, Fingerprint("orders", "offline", "h", "i"))
            >>> n = j.begin(["A1"])
            >>> j.finish(n, ok=False, status=503, message="Service Unavailable", attempts=8)
            >>> j.confirmed(["A1"])
            set()

        Raises:
            JournalError: the journal cannot be written.
        """
        with self._guard("record an answer in"), self._tx() as conn:
            conn.execute(
                "UPDATE requests SET state=?, status=?, job_id=?, message=?, attempts=?, "
                "uncertain=max(uncertain, ?), elapsed=?, sent_at=coalesce(?, sent_at) "
                "WHERE request=?",
                (
                    "sent" if ok else "failed",
                    status,
                    job_id,
                    message,
                    attempts,
                    int(uncertain),
                    elapsed,
                    sent_at,
                    request,
                ),
            )

    # -- reading -----------------------------------------------------------------

    def confirmed(self, keys: Sequence[str]) -> set[str]:
        """The keys among ``keys`` that the API already accepted (a 2xx answer).

        Example:
            >>> Journal(None, Fingerprint("orders", "offline", "h", "i")).confirmed(["A1"])
            set()

        Raises:
            JournalError: the journal cannot be read.
        """
        with self._guard("read"), self._tx("DEFERRED") as conn:
            self._select(conn, keys)
            rows = conn.execute(
                "SELECT DISTINCT m.key FROM members m JOIN sel s ON s.key = m.key "
                "JOIN requests r ON r.request = m.request WHERE r.state = 'sent'"
            ).fetchall()
        return {k for (k,) in rows}

    def orders(self, keys: Sequence[str]) -> pd.DataFrame:
        """Latest request, jobId, state and uncertainty of each key, in the order given.

        ``state`` is ``sent``/``failed`` from the latest request's answer, ``unsent``
        when it was never sent or its request was abandoned in flight.

        Example:
            >>> j = Journal(None, Fingerprint("orders", "offline", "h", "i"))
            >>> j.orders(["A1"])[["id", "state"]].to_dict("records")
            [{'id': 'A1', 'state': 'unsent'}]

        Raises:
            JournalError: the journal cannot be read.
        """
        sql = """
            WITH last AS (
                SELECT m.key, max(m.request) AS request, max(r.uncertain) AS uncertain
                FROM members m JOIN sel s ON s.key = m.key JOIN requests r ON r.request = m.request
                GROUP BY m.key)
            SELECT s.key AS id, l.request, r.job_id AS jobId,
                   CASE r.state WHEN 'sent' THEN 'sent' WHEN 'failed' THEN 'failed' ELSE 'unsent' END AS state,
                   coalesce(l.uncertain, 0) AS uncertain
            FROM sel s LEFT JOIN last l ON l.key = s.key LEFT JOIN requests r ON r.request = l.request
            ORDER BY s.pos"""
        return self._frame(keys, sql)

    def requests(self, keys: Sequence[str]) -> pd.DataFrame:
        """Every request that carried any of ``keys``, by request number (raw columns).

        Example:
            >>> j = Journal(None, Fingerprint("orders", "offline", "h", "i"))
            >>> n = j.begin(["A1"], nbytes=99)
            >>> j.requests(["A1"])[["request", "orders", "bytes"]].to_dict("records")
            [{'request': 1, 'orders': 1, 'bytes': 99}]

        Raises:
            JournalError: the journal cannot be read.
        """
        sql = """
            SELECT request, orders, bytes, status, job_id AS jobId, message, attempts,
                   uncertain, sent_at, elapsed
            FROM requests WHERE request IN (
                SELECT m.request FROM members m JOIN sel s ON s.key = m.key)
            ORDER BY request"""
        return self._frame(keys, sql)

    def _frame(self, keys: Sequence[str], sql: str) -> pd.DataFrame:
        with self._guard("read"), self._tx("DEFERRED") as conn:
            self._select(conn, keys)
            cur = conn.execute(sql)
            names = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=names)
