"""Shapes of the status service: WARNING events and the job summary, as in the reference's examples.

Pure functions of a Job; the app decides who may see which job.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Any

from omninb.sandbox.refusal import Refusal
from omninb.sandbox.store import Job

__all__ = ["DATACENTER", "job_answer", "make_event", "page_offset", "page_token", "stamp"]

DATACENTER = "sandbox"
_SOURCE = "omnichannel-api"
_OWNER = {"ownerType": "SITE", "id": 608}


def stamp(when: datetime) -> str:
    """An ISO 8601 UTC timestamp with a Z, like the reference's ``timestamp`` fields.

    Example:
        >>> stamp(datetime(2023, 6, 2, 16, 51, 27, 481010, tzinfo=UTC))
        '2023-06-02T16:51:27.481010Z'

    Raises:
        Nothing.
    """
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_event(
    record: dict[str, Any], kind: str, mode: str, message: str, when: datetime
) -> dict[str, Any]:
    """The WARNING event for one failed record, shaped like the reference's ``result`` items.

    Example:
        >>> e = make_event({"id": 1234}, "orders", "online", "No product is found for product ID p3",
        ...                datetime.now(UTC))
        >>> e["attributes"]
        {'mode': 'online', 'type': 'orders', 'orderId': '1234'}

    Raises:
        Nothing.
    """
    attributes = {
        "mode": mode,
        "type": kind,
        "orderId": _id(record, "id" if kind == "orders" else "orderId"),
    }
    if kind == "returns":
        attributes["returnId"] = _id(record, "returnId")
    return {
        "taskId": str(uuid.uuid4()),
        "statusId": str(uuid.uuid4()),
        "batch": 1,
        "type": "Application",
        "message": message,
        "level": "WARNING",
        "attributes": attributes,
        "source": _SOURCE,
        "datacenter": DATACENTER,
        "timestamp": stamp(when),
    }


def _id(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    return None if value is None else str(value)


def job_answer(
    job: Job, *, running: bool, show_all: bool, rows: int | None, offset: int
) -> dict[str, Any]:
    """The status service's answer for one page of a job's events.

    ``rows=None`` means the caller did not ask for pages: up to 5000 events, and a
    ``pagination`` block only if there are more.

    Example:
        >>> job = Job("j-1", "k", "orders", "offline", 1, 0, datetime.now(UTC), 0.0)
        >>> job_answer(job, running=False, show_all=True, rows=None, offset=0)["summary"]["job-status"]
        'PROCESSING'

    Raises:
        Nothing.
    """
    events = [] if running else job.events
    size = rows or 5000
    page = events[offset : offset + size]
    answer: dict[str, Any] = {}
    if rows is not None or len(events) > size:
        more = offset + len(page) < len(events)
        answer["pagination"] = {
            "rows": size,
            "returned": len(page),
            "nextPageToken": page_token(job.job_id, offset + len(page)) if more else None,
        }
    answer["summary"] = _summary(
        job, running, len(events), f"showAll={str(show_all).lower()}&rows={size}"
    )
    answer["result"] = page
    return answer


def _status(job: Job, running: bool) -> str:
    if running:
        return "RUNNING"
    if job.failed == 0:
        return "PROCESSING"
    return "FAILED" if job.success == 0 else "PROCESSING_WITH_WARNING"


def _summary(job: Job, running: bool, n_events: int, query: str) -> dict[str, Any]:
    status = _status(job, running)
    summary: dict[str, Any] = {
        "owner": dict(_OWNER),
        "job-id": job.job_id,
        "job-status": status,
        "job-batches": 1,
        "job-tasks": 1,
        "total-events": n_events,
        "query-param": query,
    }
    if n_events:
        summary["WARNING"] = n_events
    summary["job"] = _job_block(job, status)
    return summary


def _job_block(job: Job, status: str) -> dict[str, Any]:
    return {
        "owner": dict(_OWNER),
        "jobId": job.job_id,
        "appId": {"appType": "MISC", "id": 1078},
        "batches": 1,
        "tasks": 1,
        "name": f"Total records = {job.total}. Success = {job.success}. Failed = {job.failed}",
        "childJobs": 0,
        "rootSource": f"{_SOURCE}/{DATACENTER}",
        "apps": [_SOURCE],
        "datacenters": [DATACENTER],
        "baggage": {"records": {"total": job.total, "failed": job.failed, "success": job.success}},
        "attributes": {"mode": job.mode, "type": job.kind},
        "restarts": 0,
        "status": status,
        "jobCreated": stamp(job.created),
        "lastModified": stamp(job.created),
        "duration": "00:00:00",
    }


def page_token(job_id: str, offset: int) -> str:
    """An opaque token for the page of ``job_id``'s events starting at ``offset``.

    Example:
        >>> page_offset("j-1", page_token("j-1", 40))
        40

    Raises:
        Nothing.
    """
    return base64.urlsafe_b64encode(f"{job_id}|{offset}".encode()).decode().rstrip("=")


def page_offset(job_id: str, token: str) -> int:
    """The offset a page token stands for, checked against the job it was issued for.

    Example:
        >>> page_offset("j-2", page_token("j-1", 40))
        Traceback (most recent call last):
        ...
        omninb.sandbox.refusal.Refusal: pageToken 'ai0xfDQw' does not belong to job j-2. Use the nextPageToken of this job's previous page.

    Raises:
        Refusal: 400 when the token is malformed or belongs to another job.
    """
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        owner, _, offset = text.rpartition("|")
        value = int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        owner, value = "", -1
    if owner != job_id or value < 0:
        raise Refusal(
            400,
            f"pageToken {token!r} does not belong to job {job_id}. "
            "Use the nextPageToken of this job's previous page.",
        )
    return value
