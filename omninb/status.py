"""Job status as DataFrames: poll every job of a push until the platform has decided.

The status service answers per job: a summary (status, record counts, mode and
type) and one event per problem (level, message, the order it names). This
module turns those answers into two frames an analyst can group and filter:
``StatusReport.jobs`` (one row per job) and ``StatusReport.events`` (one row per
event, with ``reason``: the message with its varying values taken out, so that
"No product is found for product ID 6024383" and "... ID product3" count as one
failure reason). All network I/O goes through ``Client.job_events``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from omninb.errors import AuthError, HTTPError
from omninb.reasons import normalise_reason

if TYPE_CHECKING:
    from omninb.client import Client
    from omninb.result import PushResult

__all__ = [
    "EVENT_COLUMNS",
    "FINAL_STATUSES",
    "JOB_COLUMNS",
    "StatusReport",
    "cli_status",
    "collect_status",
    "job_ids",
    "normalise_reason",
    "report_from_answers",
]

log = logging.getLogger(__name__)

FINAL_STATUSES = frozenset({"PROCESSING", "PROCESSING_WITH_WARNING", "FAILED"})
JOB_COLUMNS = (
    "jobId",
    "status",
    "total",
    "success",
    "failed",
    "mode",
    "type",
    "created",
    "lastModified",
)
EVENT_COLUMNS = ("jobId", "level", "message", "reason", "orderId", "mode", "type", "timestamp")

_RECORDS = re.compile(r"Total records = (\d+)\. Success = (\d+)\. Failed = (\d+)")


def _records(summary: Mapping[str, Any], job: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    records = (job.get("baggage") or {}).get("records") or {}
    if records:
        return records.get("total"), records.get("success"), records.get("failed")
    found = _RECORDS.search(str(job.get("name") or summary.get("message") or ""))
    return tuple(int(n) for n in found.groups()) if found else (None, None, None)  # type: ignore[return-value]


def _job_row(job_id: str, answer: Mapping[str, Any]) -> dict[str, Any]:
    summary = answer.get("summary") or {}
    job = summary.get("job") or {}
    attributes = job.get("attributes") or {}
    total, success, failed = _records(summary, job)
    row = {
        "jobId": job_id,  # the id we asked about, so jobs and events always join
        "status": summary.get("job-status") or job.get("status"),
        "total": total,
        "success": success,
        "failed": failed,
        "mode": attributes.get("mode"),
        "type": attributes.get("type"),
        "created": job.get("jobCreated"),
        "lastModified": job.get("lastModified"),
    }
    # unknown scalar summary fields ("total-events", "WARNING", ...) are kept, never dropped
    extra = {k: v for k, v in summary.items() if k not in ("job-id", "job-status", "job")}
    row.update({k: v for k, v in extra.items() if not isinstance(v, dict | list)})
    return row


def _event_row(job_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
    attributes = dict(event.get("attributes") or {})
    row: dict[str, Any] = {
        "jobId": job_id,
        "level": event.get("level"),
        "message": event.get("message"),
        "reason": normalise_reason(event.get("message")),
        "orderId": attributes.pop("orderId", None),
        "mode": attributes.pop("mode", None),
        "type": attributes.pop("type", None),
        "timestamp": event.get("timestamp"),
    }
    for key, value in event.items():
        if key not in ("level", "message", "attributes", "timestamp"):
            # the event's own "type" ("Application") would clash with attributes.type ("orders")
            row["eventType" if key == "type" else key] = value
    for key, value in attributes.items():
        row[f"attributes.{key}" if key in row else key] = value
    return row


def _as_time(column: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(column, utc=True, format="ISO8601")
    except (ValueError, TypeError):
        return column  # a format we do not know is shown as the server sent it


def _frame(
    rows: list[dict[str, Any]], columns: Iterable[str], times: Iterable[str]
) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in columns:
        if column not in frame:
            frame[column] = pd.Series([None] * len(frame), dtype=object)
    ordered = [*columns, *[c for c in frame.columns if c not in columns]]
    frame = frame[ordered]
    for column in times:
        frame[column] = _as_time(frame[column])
    return frame


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    non_empty = [f for f in frames if len(f)]  # concat's dtype rules for empty parts are changing
    return pd.concat(non_empty, ignore_index=True) if non_empty else frames[0]


@dataclass(frozen=True)
class StatusReport:
    """What the status service said about every job of a push.

    Attributes:
        jobs: one row per job (``JOB_COLUMNS``, then ``final``, ``error`` and any
            unknown summary fields).
        events: one row per event (``EVENT_COLUMNS``, then unknown event fields).
    """

    jobs: pd.DataFrame
    events: pd.DataFrame

    @property
    def pending(self) -> list[str]:
        """Job ids whose status is not final yet (still running, unknown, or not answered)."""
        return self.jobs.loc[~self.jobs["final"].astype(bool), "jobId"].tolist()

    @property
    def complete(self) -> bool:
        """True when every job has a final status."""
        return not self.pending

    @property
    def errors(self) -> pd.DataFrame:
        """Jobs whose status could not be read (``jobId``, ``error``)."""
        return self.jobs.loc[self.jobs["error"].notna(), ["jobId", "error"]]

    def merged(self, newer: StatusReport) -> StatusReport:
        """``newer``, except that jobs it could not read keep what this report knew of them.

        A refresh that fails for some jobs (network down, server errors) must not
        forget their last known status; their ``error`` column says why it is stale.

        Example:
            >>> status = status.merged(collect_status(client, result, wait=False))  # doctest: +SKIP

        Raises:
            Nothing.
        """
        failed = newer.jobs.loc[newer.jobs["error"].notna()].set_index("jobId")["error"]
        known = self.jobs[self.jobs["jobId"].isin(failed.index) & self.jobs["status"].notna()]
        if known.empty:
            return newer
        kept = known.assign(error=failed.reindex(known["jobId"]).to_numpy())
        fresh = newer.jobs[~newer.jobs["jobId"].isin(kept["jobId"])]
        order = {job: i for i, job in enumerate(newer.jobs["jobId"])}
        jobs = _concat([fresh, kept]).sort_values("jobId", key=lambda s: s.map(order))
        old_events = self.events[self.events["jobId"].isin(kept["jobId"])]
        events = _concat([newer.events, old_events])
        return StatusReport(jobs=jobs.reset_index(drop=True), events=events.reset_index(drop=True))

    def summary(self) -> dict[str, int]:
        """Counts of jobs by status and of events, for a one-line overview.

        Example:
            >>> report_from_answers({}).summary()
            {'jobs': 0, 'events': 0, 'pending': 0}

        Raises:
            Nothing.
        """
        counts = self.jobs["status"].fillna("NO ANSWER").value_counts()
        by_status = {str(k): int(v) for k, v in counts.items()}
        return {
            "jobs": len(self.jobs),
            **by_status,
            "events": len(self.events),
            "pending": len(self.pending),
        }

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={v}" for k, v in self.summary().items())
        return f"StatusReport({parts})"

    def _repr_html_(self) -> str:
        note = (
            ""
            if self.complete
            else f"<p><b>{len(self.pending)} job(s) not final yet</b>: collect again later.</p>"
        )
        return f"<p>{self!r}</p>{note}{self.jobs.head(20).to_html(index=False)}"


def report_from_answers(
    answers: Mapping[str, Mapping[str, Any]], errors: Mapping[str, str] | None = None
) -> StatusReport:
    """Build a StatusReport from ``client.job_events`` answers keyed by job id.

    Example:
        >>> answer = {"summary": {"job-status": "PROCESSING"}, "result": []}
        >>> report_from_answers({"j1": answer}).jobs["status"].tolist()
        ['PROCESSING']

    Raises:
        Nothing; unknown fields become extra columns and unknown statuses are kept.
    """
    errors = dict(errors or {})
    job_rows, event_rows = [], []
    for job_id in [*answers, *[j for j in errors if j not in answers]]:
        answer = answers.get(job_id, {})
        row = _job_row(job_id, answer)
        row["final"] = row["status"] in FINAL_STATUSES
        row["error"] = errors.get(job_id)
        job_rows.append(row)
        event_rows += [_event_row(job_id, e) for e in answer.get("result") or []]
    jobs = _frame(job_rows, [*JOB_COLUMNS, "final", "error"], ("created", "lastModified"))
    jobs["final"] = jobs["final"].astype(bool)
    for column in ("total", "success", "failed"):
        jobs[column] = pd.to_numeric(jobs[column], errors="coerce").astype("Int64")
    return StatusReport(jobs=jobs, events=_frame(event_rows, EVENT_COLUMNS, ("timestamp",)))


def job_ids(result: PushResult | Iterable[str]) -> list[str]:
    """The distinct job ids of a PushResult (or of an iterable of ids), in push order.

    Example:
        >>> job_ids(["a", "b", "a"])
        ['a', 'b']

    Raises:
        Nothing; requests that got no job id (not sent, no answer) are skipped.
    """
    ids: Iterable[Any]
    if isinstance(result, str):
        ids = [result]
    elif isinstance(result, Iterable):
        ids = result
    else:
        ids = result.requests["jobId"].dropna().tolist()
    return list(dict.fromkeys(str(j) for j in ids if isinstance(j, str) and j))


@dataclass(frozen=True)
class _Polling:
    wait: bool
    timeout: float
    poll_interval: float
    max_workers: int
    rows: int | None


def _fetcher(client: Client, rows: int | None) -> Callable[[str], Mapping[str, Any] | HTTPError]:
    def fetch(job_id: str) -> Mapping[str, Any] | HTTPError:
        try:
            return client.job_events(job_id, show_all=True, rows=rows)
        except AuthError:
            raise  # every other job would be refused too: stop at once
        except HTTPError as exc:
            return exc  # one unknown or failing job must not hide the others

    return fetch


def _is_final(answer: Mapping[str, Any] | HTTPError | None) -> bool:
    if not isinstance(answer, Mapping):
        return False
    summary = answer.get("summary") or {}
    return (summary.get("job-status") or (summary.get("job") or {}).get("status")) in FINAL_STATUSES


def _poll(fetch: Callable[[str], Any], ids: list[str], policy: _Polling) -> dict[str, Any]:
    latest: dict[str, Any] = {}
    pending, deadline = list(ids), time.monotonic() + policy.timeout
    with ThreadPoolExecutor(max_workers=policy.max_workers) as pool:
        while pending:
            latest.update(zip(pending, pool.map(fetch, pending), strict=True))
            pending = [j for j in pending if not _is_final(latest[j])]
            remaining = deadline - time.monotonic()
            if not (pending and policy.wait and remaining > 0):
                break
            time.sleep(min(policy.poll_interval, remaining))
    return latest


def collect_status(
    client: Client,
    result: PushResult | Iterable[str],
    wait: bool = True,
    timeout: float = 300.0,
    poll_interval: float = 2.0,
    max_workers: int = 8,
    *,
    rows: int | None = None,
) -> StatusReport:
    """Poll every job of a push until its status is final (or ``timeout`` passes).

    Jobs are polled in rounds, ``max_workers`` at a time; a round waits
    ``poll_interval`` seconds before asking again about the jobs still running.
    Final statuses are PROCESSING, PROCESSING_WITH_WARNING and FAILED; any other
    status (RUNNING, or one this version does not know) is kept and shown, and
    polled again until the timeout. On timeout the report holds what arrived,
    with ``jobs.final`` False for the rest, and a warning is logged.

    Example:
        >>> status = collect_status(client, result, wait=True, timeout=60)  # doctest: +SKIP
        >>> status.jobs.groupby("status").size()  # doctest: +SKIP

    Raises:
        omninb.AuthError: the status service refused the credentials (no job can be read).
        ValueError: timeout or poll_interval is negative, or max_workers < 1.
    """
    if timeout < 0 or poll_interval < 0 or max_workers < 1:
        raise ValueError(
            f"collect_status needs timeout >= 0, poll_interval >= 0 and max_workers >= 1; "
            f"got timeout={timeout}, poll_interval={poll_interval}, max_workers={max_workers}"
        )
    ids = job_ids(result)
    policy = _Polling(wait, timeout, poll_interval, max_workers, rows)
    latest = _poll(_fetcher(client, rows), ids, policy) if ids else {}
    answers = {j: a for j, a in latest.items() if isinstance(a, Mapping)}
    errors = {j: str(a) for j, a in latest.items() if isinstance(a, HTTPError)}
    report = report_from_answers(answers, errors)
    _say_if_incomplete(report, wait, timeout)
    return report


def _say_if_incomplete(report: StatusReport, wait: bool, timeout: float) -> None:
    if report.complete:
        return
    shown = ", ".join(report.pending[:5]) + (" ..." if len(report.pending) > 5 else "")
    why = f"after waiting {timeout:g} s" if wait else "(wait=False: asked once)"
    log.warning(
        "%d of %d job(s) have no final status %s: %s. Their orders show as 'uncertain'; "
        "call collect_status again later (or with a longer timeout).",
        len(report.pending),
        len(report.jobs),
        why,
        shown,
    )


def _report_text(report: StatusReport, max_events: int) -> str:
    jobs = report.jobs[[*JOB_COLUMNS, *(["error"] if not report.errors.empty else [])]]
    parts = [f"{report!r}", "", jobs.to_string(index=False)]
    if not report.events.empty:
        counts = report.events.groupby(["level", "reason"]).size().rename("events")
        parts += ["", "Events by reason:", counts.reset_index().to_string(index=False)]
        shown = report.events[["jobId", "level", "orderId", "message"]].head(max_events)
        parts += ["", "Events:", shown.to_string(index=False)]
        if len(report.events) > max_events:
            parts.append(f"... and {len(report.events) - max_events:,} more (see --csv).")
    if report.pending:
        parts += ["", f"Not final yet: {', '.join(report.pending)}. Run this again later."]
    return "\n".join(parts)


def cli_status(args: Any) -> int:
    """``omninb status JOB_ID...``: poll, print jobs and events, optionally write CSV files.

    Credentials come from the environment (``Client.from_env``). Exit status 0
    when every job is final and no record failed, 1 otherwise.

    Example:
        >>> from omninb.cli import main
        >>> main(["status", "f29dd805-0156-11ee-ad68-7d780afc9f2c", "--no-wait"])  # doctest: +SKIP

    Raises:
        omninb.ConfigError: credentials are missing from the environment.
        omninb.AuthError: the status service refused them.
    """
    from pathlib import Path

    from omninb.client import Client

    with Client.from_env() as client:
        report = collect_status(
            client,
            args.job_ids,
            wait=args.wait,
            timeout=args.timeout,
            poll_interval=args.poll_interval,
        )
    print(_report_text(report, args.max_events))
    if args.csv:
        folder = Path(args.csv)
        folder.mkdir(parents=True, exist_ok=True)
        report.jobs.to_csv(folder / "jobs.csv", index=False)
        report.events.to_csv(folder / "events.csv", index=False)
        print(f"Wrote {folder / 'jobs.csv'} and {folder / 'events.csv'}.")
    failed = int(report.jobs["failed"].fillna(0).sum())
    return 0 if report.complete and failed == 0 else 1
