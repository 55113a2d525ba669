"""Push a POS export file in chunks, so memory stays bounded on multi-million-row exports.

``push_file`` reads the file with ``read_pos(..., chunksize=...)`` (each chunk
holds whole orders), and pushes every chunk through ONE journal, ONE client and
ONE progress bar. The journal's input identity is a SHA-256 of the file's bytes
and of the reading options (column map, time zone), so re-running the same
command resumes, and a changed file is refused instead of being half-skipped.
Only counts and the first few invalid rows are kept between chunks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from omninb.errors import ConfigError
from omninb.push import PushOptions, open_journal, prepare, progress_bar, push_prepared
from omninb.result import Summary, invalid_frame

__all__ = ["FilePush", "cli_push", "file_identity", "push_file"]

_BLOCK = 1 << 20
_KEEP_INVALID = 20  # rows of .invalid kept for the report; the counts cover every row


@dataclass(frozen=True)
class FilePush:
    """What ``push_file`` did: summed counts, the first invalid rows, the journal path.

    Attributes:
        summary: counts over every chunk (``summary.complete`` is the exit status).
        invalid: the first invalid rows (``row, id, column, check, value, message``).
        journal: the journal file, or None.
        rows: data rows read.
    """

    summary: Summary
    invalid: pd.DataFrame = field(repr=False)
    journal: str | None
    rows: int

    def report(self) -> str:
        """The text the CLI prints: the summary, then the first invalid rows.

        Example:
            >>> print(FilePush(Summary(orders=2, sent=2, requests=1), invalid_frame(), None, 3).report())
            2 of 2 orders sent in 1 requests; 0 failed, 0 unsent, 0 invalid (not sent), 0 rejected by the server, 0 uncertain.

        Raises:
            Nothing.
        """
        lines = [str(self.summary)]
        for r in self.invalid.itertuples(index=False):
            lines.append(f"  invalid: row {r.row}, {r.id}, column {r.column}: {r.message}")
        if self.summary.invalid > len(self.invalid["id"].unique()):
            lines.append(f"  … {self.summary.invalid:,} invalid orders in all (first shown).")
        if self.journal:
            lines.append(f"Journal: {self.journal}")
        return "\n".join(lines)


def file_identity(path: str | os.PathLike[str], **options: Any) -> tuple[str, int]:
    """SHA-256 of the file's bytes and of the reading options, and its line count.

    Example:
        >>> file_identity("export.csv", columns=None, tz="Asia/Tokyo")  # doctest: +SKIP
        ('sha256:9f…', 2000001)

    Raises:
        FileNotFoundError: the file does not exist.
    """
    h, lines = hashlib.sha256(), 0
    h.update(json.dumps(options, sort_keys=True, default=str).encode("utf-8"))
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
            lines += block.count(b"\n")
    return "sha256:" + h.hexdigest(), lines


def push_file(
    path: str | os.PathLike[str],
    client: Any,
    *,
    kind: str = "orders",
    mode: str = "offline",
    method: str = "batch",
    journal: str | os.PathLike[str] | None = None,
    columns: Mapping[str, str] | None = None,
    tz: str | None = None,
    chunksize: int = 20_000,
    progress: bool = True,
    max_workers: int | None = None,
) -> FilePush:
    """Push every order of a POS export file, chunk by chunk; invalid orders are skipped and counted.

    Example:
        >>> with omninb.Client.from_env() as client:                       # doctest: +SKIP
        ...     done = push_file("export.csv", client, journal="import.sqlite")
        ...     print(done.report())

    Raises:
        omninb.JournalError: the journal belongs to another file, options or API key.
        omninb.ValidationError: an order's rows are not contiguous in the file.
        omninb.AuthError: the credentials were refused.
        omninb.ConfigError: unknown file type or a column map naming a missing column.
    """
    from omninb.pos import read_pos

    options = PushOptions(kind, mode, method, "skip", max_workers)
    ident, lines = file_identity(path, kind=kind, columns=dict(columns or {}), tz=tz)
    plain_csv = Path(path).suffix.lower() == ".csv"
    total, rows, seen, kept = Summary(), 0, 0, [invalid_frame()]
    with (
        open_journal(journal, client, options, ident) as j,
        progress_bar(progress, None, f"push {kind}") as bar,
    ):
        chunks = cast(
            Iterator[pd.DataFrame],
            read_pos(path, kind=kind, columns=columns, tz=tz, chunksize=chunksize),
        )
        for chunk in chunks:
            prepared = prepare(chunk, options)
            rows, seen = rows + len(chunk), seen + len(prepared.keys)
            if plain_csv:  # for the ETA: orders in the file, from the rows per order so far
                bar.total = max(seen, round((lines - 1) * seen / rows))
            result = push_prepared(prepared, client, j, options, bar)
            total += result.summary()
            kept.append(result.invalid.head(_KEEP_INVALID))
            if result.interrupted:
                break
    return FilePush(total, invalid_frame(*kept).head(_KEEP_INVALID), j.path, rows)


def _column_map(path: str | None) -> dict[str, str] | None:
    if not path:
        return None
    from omninb.pos import load_mapping

    try:
        return load_mapping(path)
    except OSError as exc:
        raise ConfigError(f"--columns {path}: cannot read it ({exc}).") from exc


def _client(args: argparse.Namespace) -> Any:
    from omninb.client import Client

    environ = dict(os.environ)
    if args.env:
        environ["OMNI_ENV"] = args.env
        environ.pop("OMNI_BASE_URL", None)
    if args.base_url:
        environ["OMNI_BASE_URL"] = args.base_url
    pool = max(32, args.workers or 0)
    return Client.from_env(environ, rate=args.rate, pool_size=pool)


def cli_push(args: argparse.Namespace) -> int:
    """Run ``omninb push`` (see ``omninb push --help``); returns the exit status.

    0 when every order was sent and accepted; 1 when anything was not (invalid,
    failed, unsent or counted Failed by the server); 130 when interrupted.
    Credentials come from OMNI_API_KEY, OMNI_CLIENT_ID, OMNI_CLIENT_SECRET.

    Example:
        >>> cli_push(build_parser().parse_args(["push", "export.csv"]))  # doctest: +SKIP
        0

    Raises:
        omninb.OmniError: configuration, journal, validation or credential problems.
    """
    columns = _column_map(args.columns)
    try:
        with _client(args) as client:
            done = push_file(
                args.file, client, kind=args.kind, mode=args.mode, method=args.method,
                journal=args.journal, columns=columns, tz=args.tz, chunksize=args.chunksize,
                progress=not args.no_progress, max_workers=args.workers,
            )  # fmt: skip
    except KeyboardInterrupt:
        print("Interrupted. Run the same command again to resume from the journal.")
        return 130
    print(done.report())
    if done.summary.interrupted:
        return 130
    return 0 if done.summary.complete else 1
