"""``omninb push FILE``: a real subprocess against the sandbox, including SIGKILL mid-push and resume."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from push_data import orders, stored

import omninb

ROOT = Path(__file__).resolve().parents[1]
POS_NAMES = {
    "TransactionID": "id",
    "Customer": "userId",
    "When": "dateTime",
    "Sku": "productId",
    "Qty": "quantity",
}


def export(tmp_path, df, name="export.csv"):
    """Write ``df`` as a POS export with the shop's own column names and naive local times."""
    pos = df.assign(dateTime="2024-03-01 10:15:00").rename(
        columns={v: k for k, v in POS_NAMES.items()}
    )
    path = tmp_path / name
    pos.to_csv(path, index=False)
    (tmp_path / "map.json").write_text(json.dumps(POS_NAMES))
    return path


def command(sb, path, *extra, journal=None):
    args = [
        sys.executable,
        "-m",
        "omninb.cli",
        "push",
        str(path),
        "--columns",
        str(path.parent / "map.json"),
    ]
    args += ["--tz", "Asia/Tokyo", "--base-url", sb.url, "--no-progress", *extra]
    return args + (["--journal", str(journal)] if journal else [])


def environ(sb, **over):
    c = sb.credentials
    env = dict(os.environ, OMNI_API_KEY=c["api_key"], OMNI_CLIENT_ID=c["client_id"])
    env.update(OMNI_CLIENT_SECRET=c["client_secret"], **over)
    return env


def run(sb, args, **over):
    return subprocess.run(
        args, env=environ(sb, **over), cwd=ROOT, capture_output=True, text=True, timeout=240
    )


def test_a_clean_push_exits_zero_and_stores_every_order_once(tmp_path):
    df = orders(300)
    with omninb.Sandbox(rate_limit=None) as sb:
        path = export(tmp_path, df)
        done = run(
            sb,
            command(
                sb, path, "--rate", "none", "--chunksize", "120", journal=tmp_path / "j.sqlite"
            ),
        )
        ledger = sb.ledger(with_records=True)
        tokens = list(sb._gateway.tokens._grants)
        secret = sb.credentials["client_secret"]
    assert done.returncode == 0, done.stderr
    assert "300 of 300 orders sent" in done.stdout and "j.sqlite" in done.stdout
    assert (ledger["stored"] == 1).all() and sorted(ledger["id"]) == sorted(df["id"].unique())
    assert ledger["record"].map(lambda r: r["dateTime"]).eq("2024-03-01T10:15:00+09:00").all()
    for needle in [secret, *tokens]:
        assert needle not in done.stdout + done.stderr


def test_invalid_rows_are_skipped_printed_and_make_the_exit_status_non_zero(tmp_path):
    df = orders(20)
    df.loc[df["id"] == "O1004", "quantity"] = -3
    with omninb.Sandbox(rate_limit=None) as sb:
        done = run(sb, command(sb, export(tmp_path, df), "--rate", "none"))
        ids = set(stored(sb).index)
    assert done.returncode == 1
    assert "19 of 19 orders sent" in done.stdout and "1 invalid" in done.stdout
    assert "O1004" in done.stdout and "quantity" in done.stdout
    assert ids == set(df["id"]) - {"O1004"}


def test_a_journal_of_another_file_is_refused(tmp_path):
    with omninb.Sandbox(rate_limit=None) as sb:
        first = run(
            sb,
            command(
                sb, export(tmp_path, orders(5)), "--rate", "none", journal=tmp_path / "j.sqlite"
            ),
        )
        other = export(tmp_path, orders(5, seed=9), name="other.csv")
        refused = run(sb, command(sb, other, "--rate", "none", journal=tmp_path / "j.sqlite"))
        assert len(sb.ledger()) == 5
    assert first.returncode == 0
    assert refused.returncode == 1 and "another input" in refused.stderr


def test_missing_credentials_are_named(tmp_path):
    with omninb.Sandbox(rate_limit=None) as sb:
        done = run(sb, command(sb, export(tmp_path, orders(2))), OMNI_API_KEY="")
        assert sb.ledger().empty
    assert done.returncode == 1 and "OMNI_API_KEY" in done.stderr


def uncertain_keys(journal):
    with sqlite3.connect(journal) as conn:
        sql = "SELECT m.key FROM members m JOIN requests r USING (request) WHERE r.uncertain = 1"
        return {k for (k,) in conn.execute(sql)}


@pytest.mark.slow
def test_sigkill_mid_push_then_the_same_command_loses_nothing(tmp_path):
    df, journal = orders(800, max_lines=1), tmp_path / "j.sqlite"
    with omninb.Sandbox(rate_limit=100, latency=0.05) as sb:
        args = command(sb, export(tmp_path, df), "--chunksize", "300", journal=journal)
        proc = subprocess.Popen(
            args, env=environ(sb), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        while len(sb.ledger()) < 300 and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        before = stored(sb)
        assert proc.returncode == -signal.SIGKILL and 300 <= len(before) < 800
        again = run(sb, args)
        after = stored(sb)
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(after.index) == sorted(df["id"])  # nothing lost
    repeated = set(after[after > 1].index)
    assert len(repeated) <= 3 * 100  # at most the in-flight requests (3 batch workers)
    assert repeated <= uncertain_keys(journal)  # and the journal says they may be duplicates
    assert "800 of 800 orders sent" in again.stdout


@pytest.mark.parametrize(
    ("mapping", "said"),
    [(None, "cannot read it"), ("not json", "is not valid JSON"), ('["id"]', "JSON object")],
)
def test_an_unreadable_column_map_is_a_clear_error_and_nothing_is_sent(tmp_path, mapping, said):
    with omninb.Sandbox(rate_limit=None) as sb:
        path = export(tmp_path, orders(5))
        target = tmp_path / "map.json"
        if mapping is None:
            target.unlink()
        else:
            target.write_text(mapping)
        done = run(sb, command(sb, path, "--rate", "none"))
        assert sb.ledger().empty
    assert done.returncode != 0
    assert "map.json" in done.stderr and said in done.stderr
