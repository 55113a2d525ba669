"""What the sandbox remembers: import jobs with their events, and the ledger of stored records.

Written on the server thread, read by tests and users from theirs: one lock guards both.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from omninb.fields import record_key

__all__ = ["LEDGER_COLUMNS", "Job", "Store"]

LEDGER_COLUMNS = (
    "apiKey",
    "kind",
    "mode",
    "id",
    "orderId",
    "returnId",
    "userId",
    "jobId",
    "stored",
)


@dataclass
class Job:
    """One import request: its counts, its WARNING events and when it was created.

    Example:
        >>> from datetime import UTC, datetime
        >>> job = Job("j-1", "12345", "orders", "offline", total=2, failed=1,
        ...           created=datetime.now(UTC), created_at=0.0)
        >>> job.success
        1

    Raises:
        Nothing.
    """

    job_id: str
    api_key: str
    kind: str
    mode: str
    total: int
    failed: int
    created: datetime
    created_at: float  # monotonic seconds, for the status_delay knob
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def success(self) -> int:
        """Records of this job that were stored (total minus failed)."""
        return self.total - self.failed


class Store:
    """Jobs by id and the ledger keyed by (apiKey, kind, record key).

    Example:
        >>> s = Store()
        >>> s.put_record("k", "orders", "offline", {"id": 7, "userId": "u"}, "j-1")
        >>> s.ledger_rows()[0]["stored"]
        1

    Raises:
        Nothing at construction.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._ledger: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add_job(self, job: Job) -> None:
        """Remember a job so the status endpoint can answer for it.

        Example:
            >>> from datetime import UTC, datetime
            >>> s = Store()
            >>> s.add_job(Job("j", "k", "orders", "offline", 1, 0, datetime.now(UTC), 0.0))
            >>> s.job("k", "j").total
            1

        Raises:
            Nothing.
        """
        with self._lock:
            self._jobs[job.job_id] = job

    def job(self, api_key: str, job_id: str) -> Job | None:
        """The job with this id if it belongs to ``api_key``, else None.

        Example:
            >>> Store().job("k", "nope") is None
            True

        Raises:
            Nothing.
        """
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.api_key == api_key else None

    def put_record(
        self, api_key: str, kind: str, mode: str, record: dict[str, Any], job_id: str
    ) -> None:
        """Store one accepted record; storing the same key again counts it again.

        Example:
            >>> s = Store()
            >>> for _ in range(2):
            ...     s.put_record("k", "returns", "offline",
            ...                  {"orderId": 1, "returnId": 2, "userId": "u"}, "j")
            >>> (s.ledger_rows()[0]["id"], s.ledger_rows()[0]["stored"])
            ('2', 2)

        Raises:
            KeyError: kind is not 'orders' or 'returns' (the app never passes one).
        """
        key = _text(record.get(record_key(kind)))
        with self._lock:
            entry = self._ledger.get((api_key, kind, key))
            if entry is None:
                entry = self._ledger[(api_key, kind, key)] = {"stored": 0}
            entry.update(_ledger_fields(api_key, kind, mode, key, record, job_id))
            entry["stored"] += 1
            entry["record"] = record

    def ledger_rows(self, with_records: bool = False) -> list[dict[str, Any]]:
        """A snapshot of the ledger, one dict per stored key, in first-stored order.

        Example:
            >>> Store().ledger_rows()
            []

        Raises:
            Nothing.
        """
        with self._lock:
            rows = [dict(entry) for entry in self._ledger.values()]
        if not with_records:
            for row in rows:
                del row["record"]
        return rows


def _ledger_fields(
    api_key: str, kind: str, mode: str, key: str, record: dict[str, Any], job_id: str
) -> dict[str, Any]:
    is_order = kind == "orders"
    return {
        "apiKey": api_key,
        "kind": kind,
        "mode": mode,
        "id": key,
        "orderId": key if is_order else _text(record.get("orderId")),
        "returnId": None if is_order else key,
        "userId": _text(record.get("userId")),
        "jobId": job_id,
    }


def _text(value: Any) -> str:
    return "" if value is None else str(value)
