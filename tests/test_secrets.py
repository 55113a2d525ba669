"""Secret audit: a canary client secret and every bearer token the sandbox issued appear nowhere.

Captured across the push (batch and single, faults, a refused secret), status
and CLI flows: every log record at DEBUG on the root logger (message, args and
traceback), stdout and stderr (tqdm bars included), the repr/str of every
object a user sees, every exception message, the journal files, and the
PushResult/StatusReport exports written to disk.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from push_data import orders

import omninb
from omninb.errors import AuthError, OmniError
from omninb.outputs import write_outputs
from omninb.push import push
from omninb.reconcile import reconcile
from omninb.retry import RetryPolicy
from omninb.status import collect_status

ROOT = Path(__file__).resolve().parents[1]
CANARY = f"CANARY-{uuid.uuid4().hex}"
API_KEY = "k-audit"


class Everything(logging.Handler):
    """Keeps every record rendered in full: message, exception and stack text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record) + repr(record.args))


@pytest.fixture
def audit(tmp_path, capfd):
    """Yields (sandbox, seen): add text or files to ``seen``; the check runs at teardown."""
    handler, root = Everything(), logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    seen: list[str | Path] = []
    knobs = {"token_ttl": 2, "error_rate": 0.2, "drop_after_rate": 0.1, "seed": 4}
    try:
        with omninb.Sandbox(credentials=[("audit-client", CANARY, [API_KEY])], **knobs) as sb:
            yield sb, seen
            tokens = [t.token for t in sb.issued_tokens()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    out, err = capfd.readouterr()
    texts = [*handler.texts, out, err, *(_read(s) for s in seen)]
    assert tokens and all(len(t) > 20 for t in tokens)
    for needle in [CANARY, *tokens]:
        leaks = [t[:300] for t in texts if needle in t]
        assert not leaks, f"{needle[:12]}… leaked in: {leaks[:3]}"


def _read(item: str | Path) -> str:
    if isinstance(item, Path):
        files = sorted(item.rglob("*")) if item.is_dir() else [item]
        # journal side files too: -wal and -shm hold the newest pages
        files += [Path(f"{item}{s}") for s in ("-wal", "-shm") if Path(f"{item}{s}").exists()]
        return "".join(f.read_bytes().decode("latin-1") for f in files if f.is_file())
    return item


def _environ(sb, secret: str = CANARY) -> dict[str, str]:
    c = sb.credentials
    return dict(
        os.environ,
        OMNI_API_KEY=c["api_key"],
        OMNI_CLIENT_ID=c["client_id"],
        OMNI_CLIENT_SECRET=secret,
    )


def test_push_and_status_leak_nothing(audit, tmp_path):
    sb, seen = audit
    df, journal = orders(150, max_lines=2), tmp_path / "j.sqlite"
    patient = RetryPolicy(max_attempts=10, base=0.01, cap=0.05)
    with sb.client(rate=None, retry=patient) as client:
        result = push(df, client, journal=journal, progress=True)
        single = push(orders(20, start=5000), client, method="single", progress=True)
        status = collect_status(client, result, poll_interval=0.1)
        seen += [repr(client), str(client.auth), repr(client.throttle), repr(result)]
        seen += [result._repr_html_(), repr(single), repr(status), status._repr_html_()]
        outcomes = reconcile(df, result, status)
        write_outputs(outcomes, tmp_path / "out", status=status, result=result)
        for name, frame in [("requests", result.requests), ("orders", result.orders)]:
            frame.to_csv(tmp_path / "out" / f"{name}.csv")
        status.events.to_csv(tmp_path / "out" / "events.csv")
    seen += [journal, tmp_path / "out"]
    assert result.summary().complete and len(list((tmp_path / "out").iterdir())) >= 5
    assert len(sb.issued_tokens()) >= 3  # 2-second tokens: several were issued and used
    assert result.requests["attempts"].max() > 1  # faults made the client retry (and log it)
    debug = next(r for r in logging.getLogger().handlers if isinstance(r, Everything)).texts
    assert sum("omninb.client DEBUG" in t for t in debug) > 10  # DEBUG lines were captured


def test_refused_and_failing_requests_leak_nothing(audit):
    sb, seen = audit
    # right client id, a mistyped secret that carries the canary inside it
    wrong = omninb.Client(API_KEY, "audit-client", CANARY + "x", base_url=sb.url, rate=None)
    with wrong, pytest.raises(AuthError) as refused:
        push(orders(3), wrong, progress=False)
    seen += [str(refused.value), repr(refused.value), repr(refused.value.__cause__), repr(wrong)]
    with sb.client(rate=None) as client:
        unknown = collect_status(client, ["no-such-job"], wait=False)
    seen += [repr(unknown), unknown._repr_html_(), unknown.jobs.to_csv(), unknown.events.to_csv()]
    assert "no-such-job" in repr(unknown) + unknown.jobs.to_csv()
    assert isinstance(refused.value, OmniError) and refused.value.status_code == 401


def test_cli_push_and_status_leak_nothing(audit, tmp_path):
    sb, seen = audit
    path, journal = tmp_path / "export.csv", tmp_path / "cli.sqlite"
    orders(60).to_csv(path, index=False)
    cli = [sys.executable, "-m", "omninb.cli"]
    where = ["--base-url", sb.url, "--no-progress"]
    good, bad = _environ(sb), _environ(sb, CANARY + "x")
    done = [
        _run([*cli, "push", str(path), *where, "--rate", "none", "--journal", str(journal)], good),
        _run([*cli, "push", str(path), *where, "--journal", str(tmp_path / "x.sqlite")], bad),
    ]
    job = sb.ledger()["jobId"].iloc[0]
    status_env = {**good, "OMNI_BASE_URL": sb.url}
    done.append(_run([*cli, "status", job, "--timeout", "5", "--poll-interval", "0.2"], status_env))
    for run in done:
        seen += [run.stdout, run.stderr]
    seen.append(journal)
    assert done[0].returncode == 0, done[0].stderr
    assert done[1].returncode != 0 and "client_secret" in done[1].stderr + done[1].stdout
    assert done[2].returncode in (0, 1) and job in done[2].stdout


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
