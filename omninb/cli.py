"""The ``omninb`` command: a thin façade over the library for terminals and scheduled runs.

Each subcommand is one small ``_add_<name>`` function that adds its subparser and
sets ``run`` to the function doing the work; ``COMMANDS`` lists them. To add a
subcommand, write both functions and append the adder to ``COMMANDS``.

Example:
    $ omninb sandbox --port 8765 --catalog data/catalog.csv
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from omninb.errors import OmniError

__all__ = ["COMMANDS", "build_parser", "main"]

Subparsers = Any  # argparse's _SubParsersAction is private; its type is not worth importing


def _add_sandbox(commands: Subparsers) -> None:
    p = commands.add_parser(
        "sandbox",
        help="run the local gateway emulator in the foreground",
        description="Run the Omnichannel gateway emulator until Ctrl-C, for curl, Postman or a notebook.",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument(
        "--catalog", help="CSV of known product ids (productId column or the first); default: any"
    )
    p.add_argument(
        "--rate-limit", type=_rate_limit, default=100, help="records/s per apiKey, or 'none'"
    )
    p.add_argument(
        "--token-ttl", type=float, default=28_800, help="bearer token lifetime in seconds"
    )
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    p.add_argument("--jitter", type=float, default=0.0, help="latency varies uniformly by ± this")
    p.add_argument(
        "--error-rate", type=float, default=0.0, help="share of imports answered 500/503"
    )
    p.add_argument(
        "--drop-before-rate", type=float, default=0.0, help="share of imports dropped unstored"
    )
    p.add_argument(
        "--drop-after-rate", type=float, default=0.0, help="share of imports dropped after storing"
    )
    p.add_argument("--status-delay", type=float, default=0.0, help="seconds a job stays RUNNING")
    p.add_argument("--seed", type=int, help="makes the fault knobs reproducible")
    p.add_argument(
        "--client-id", help="fixed credentials (give all three), e.g. to keep a notebook's settings"
    )
    p.add_argument("--client-secret")
    p.add_argument("--api-key")
    p.set_defaults(run=_run_sandbox)


def _rate_limit(text: str) -> int | None:
    if text.strip().lower() in ("none", "off", "0"):
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number or 'none', not {text!r}"
        ) from None


def _run_sandbox(args: argparse.Namespace) -> int:
    from omninb.sandbox import Sandbox  # lazy: other subcommands do not pay for aiohttp

    with Sandbox(
        catalog=args.catalog,
        rate_limit=args.rate_limit,
        token_ttl=args.token_ttl,
        latency=args.latency,
        jitter=args.jitter,
        error_rate=args.error_rate,
        drop_before_rate=args.drop_before_rate,
        drop_after_rate=args.drop_after_rate,
        seed=args.seed,
        host=args.host,
        port=args.port,
        status_delay=args.status_delay,
        credentials=_fixed_credentials(args),
    ) as sb:
        print(_banner(sb), flush=True)
        _wait_for_interrupt()
        print("omninb sandbox stopped.", flush=True)
    return 0


def _wait_for_interrupt() -> None:
    if threading.current_thread() is threading.main_thread():
        # A supervisor's SIGTERM stops the server as cleanly as Ctrl-C does.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        return


def _fixed_credentials(args: argparse.Namespace) -> list[tuple[str, str, list[str]]] | None:
    given = (args.client_id, args.client_secret, args.api_key)
    if not any(given):
        return None
    if not all(given):
        raise OmniError(
            "Give --client-id, --client-secret and --api-key together, or none of them."
        )
    return [(args.client_id, args.client_secret, [args.api_key])]


def _banner(sb: Any) -> str:
    # A local emulator prints its own secret on purpose: the user needs it to connect.
    c = sb.credentials
    return "\n".join(
        [
            f"omninb sandbox listening on {sb.url}",
            f"  client_id      {c['client_id']}",
            f"  client_secret  {c['client_secret']}",
            f"  api_key        {c['api_key']}",
            f"  tokens         POST {sb.url}/omnichannel/api/v1/oauth2/token",
            f"                 POST {sb.url}/common-status/v1/oauth2/token",
            f"  knobs          {sb.knobs}",
            "For omninb.Client.from_env():",
            f"  export OMNI_BASE_URL={sb.url} OMNI_API_KEY={c['api_key']} "
            f"OMNI_CLIENT_ID={c['client_id']} OMNI_CLIENT_SECRET={c['client_secret']}",
            "Press Ctrl-C to stop.",
        ]
    )


def _add_status(commands: Subparsers) -> None:
    p = commands.add_parser(
        "status",
        help="print the status of import jobs, one row per job and per event",
        description=(
            "Poll the status service for each JOB_ID until its status is final (or --timeout), "
            "then print the jobs and their events. Credentials come from OMNI_API_KEY, "
            "OMNI_CLIENT_ID, OMNI_CLIENT_SECRET and OMNI_ENV (or OMNI_BASE_URL). Exit status 0 "
            "when every job is final and no record failed, 1 otherwise."
        ),
    )
    p.add_argument("job_ids", nargs="+", metavar="JOB_ID", help="job ids from the import answers")
    p.add_argument("--no-wait", dest="wait", action="store_false", help="ask once, do not poll")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to poll at most (300)")
    p.add_argument("--poll-interval", type=float, default=2.0, help="seconds between polls (2)")
    p.add_argument("--max-events", type=int, default=100, help="events printed at most (100)")
    p.add_argument("--csv", metavar="DIR", help="also write jobs.csv and events.csv into DIR")

    def run(args: argparse.Namespace) -> int:
        from omninb.status import cli_status  # lazy: pandas only when the command runs

        return cli_status(args)

    p.set_defaults(run=run)


def _add_push(commands: Subparsers) -> None:
    p = commands.add_parser(
        "push",
        help="push a POS export file to the API, in chunks, resumable with --journal",
        description=(
            "Read FILE in chunks of whole orders, validate, and push the valid orders; invalid "
            "ones are skipped and listed. Credentials come from OMNI_API_KEY, OMNI_CLIENT_ID, "
            "OMNI_CLIENT_SECRET and OMNI_ENV (or OMNI_BASE_URL). With --journal, running the "
            "same command again sends only what was not confirmed. Exit status 0 when every "
            "order was accepted, 1 otherwise, 130 when interrupted."
        ),
    )
    p.add_argument("file", help="the export: .csv (optionally compressed), .parquet or .xlsx")
    p.add_argument("--kind", choices=("orders", "returns"), default="orders")
    p.add_argument("--mode", choices=("offline", "online"), default="offline")
    p.add_argument(
        "--method",
        choices=("batch", "single"),
        default="batch",
        help="POST batches or PUT per order",
    )
    p.add_argument("--journal", help="SQLite journal file: run the same command again to resume")
    p.add_argument(
        "--columns", help='JSON file mapping POS columns to API fields, e.g. {"TxnID": "id"}'
    )
    p.add_argument(
        "--tz", help="time zone of timestamps written without an offset, e.g. Asia/Tokyo"
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--env", choices=("qa", "staging", "production"), help="overrides OMNI_ENV")
    where.add_argument("--base-url", help="overrides OMNI_BASE_URL, e.g. a sandbox's URL")
    p.add_argument(
        "--rate", type=_rate_limit, default=100, help="orders/s to keep to (100), or 'none'"
    )
    p.add_argument("--chunksize", type=int, default=20_000, help="rows read at a time (20000)")
    p.add_argument("--workers", type=int, help="requests in flight at most (3 batch, 32 single)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    def run(args: argparse.Namespace) -> int:
        from omninb.pushfile import cli_push  # lazy: pandas and requests only when it runs

        return cli_push(args)

    p.set_defaults(run=run)


COMMANDS: tuple[Callable[[Subparsers], None], ...] = (_add_sandbox, _add_status, _add_push)


def build_parser() -> argparse.ArgumentParser:
    """The ``omninb`` argument parser with every subcommand in ``COMMANDS``.

    Example:
        >>> build_parser().parse_args(["sandbox", "--port", "0"]).port
        0

    Raises:
        Nothing.
    """
    parser = argparse.ArgumentParser(
        prog="omninb", description=__doc__.splitlines()[0] if __doc__ else None
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``omninb`` subcommand; returns the process exit status.

    Example:
        >>> main([])  # doctest: +SKIP
        2

    Raises:
        SystemExit: from argparse, for unknown options or --help.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(run(args))
    except OmniError as exc:
        print(f"omninb {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
