"""The journal: requests committed before sending, answers after, resume, refusal of foreign pushes."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from omninb.errors import JournalError
from omninb.journal import Fingerprint, Journal

API_KEY = "api-key-abc123"
ROOT = Path(__file__).resolve().parents[1]  # children import omninb from the checkout
OK = "Total records = 2. Success = 2. Failed = 0"


def fp(**over):
    args = {"kind": "orders", "mode": "offline", "api_key": API_KEY, "input_id": "sha256:in"}
    args.update(over)
    return Fingerprint.of(**args)


def test_answered_request_confirms_its_orders_only(tmp_path):
    with Journal(tmp_path / "j.sqlite", fp()) as j:
        first = j.begin(["A", "B"], nbytes=321)
        second = j.begin(["C"], nbytes=100)
        j.finish(first, ok=True, status=200, job_id="job-1", message=OK, attempts=1, elapsed=0.2)
        j.finish(second, ok=False, status=400, message="bad body", attempts=1)
        assert j.confirmed(["A", "B", "C", "D"]) == {"A", "B"}
        orders = j.orders(["D", "C", "B"])
    assert orders["id"].tolist() == ["D", "C", "B"]  # input order kept
    assert orders["state"].tolist() == ["unsent", "failed", "sent"]
    assert orders["jobId"].tolist()[2] == "job-1"
    assert orders["request"].isna().tolist() == [True, False, False]


def test_reopening_marks_in_flight_requests_abandoned_and_uncertain(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path, fp()) as j:
        done = j.begin(["A"])
        j.finish(done, ok=True, status=200, message=OK)
        j.begin(["B"])  # "in flight" when the process stops
    with Journal(path, fp()) as j:
        orders = j.orders(["A", "B"]).set_index("id")
        requests = j.requests(["B"])
        assert j.confirmed(["A", "B"]) == {"A"}
        assert orders.loc["B", "state"] == "unsent"
        assert orders.loc["B", "uncertain"] == 1
        assert orders.loc["A", "uncertain"] == 0
        assert "stopped while it was in flight" in requests["message"].iloc[0]
        # the resend gets a new number and keeps the order uncertain (it may be stored twice)
        again = j.begin(["B"])
        j.finish(again, ok=True, status=200, message=OK)
        row = j.orders(["B"]).iloc[0]
    assert (row["request"], row["state"], row["uncertain"]) == (again, "sent", 1)
    assert again > done


def test_requests_lists_every_attempt_of_the_orders(tmp_path):
    with Journal(tmp_path / "j.sqlite", fp()) as j:
        parent = j.begin(["A", "B"])
        j.finish(parent, ok=False, status=413, message="split into halves")
        halves = [j.begin(["A"]), j.begin(["B"])]
        other = j.begin(["Z"])
        numbers = j.requests(["A", "B"])["request"].tolist()
    assert numbers == [parent, *halves]
    assert other not in numbers


@pytest.mark.parametrize(
    ("override", "label"),
    [
        ({"api_key": "another-key"}, "another API key"),
        ({"input_id": "sha256:other"}, "another input"),
        ({"kind": "returns"}, "another kind"),
        ({"mode": "online"}, "another mode"),
        ({"url": "https://gateway.richrelevance.com"}, "another API URL (environment)"),
    ],
)
def test_a_journal_refuses_another_push(tmp_path, override, label):
    path = tmp_path / "j.sqlite"
    with Journal(path, fp()) as j:
        j.begin(["A"])
    with pytest.raises(JournalError) as info:
        Journal(path, fp(**override))
    text = str(info.value)
    assert label in text and str(path) in text
    assert "new journal" in text
    assert API_KEY not in text and "another-key" not in text
    assert info.value.path == str(path)


def test_the_file_never_holds_the_api_key_in_clear(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path, fp()) as j:
        j.finish(j.begin(["A"]), ok=True, status=200, message=OK)
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert API_KEY.encode() not in blob
    assert (
        Fingerprint.of(
            kind="orders", mode="offline", api_key=API_KEY, input_id="x"
        ).api_key_sha256.encode()
        in blob
    )


def test_a_file_that_is_not_sqlite_is_refused_clearly(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"this is not a database, just text " * 200)
    with pytest.raises(JournalError, match=r"not a readable omninb journal.*new journal"):
        Journal(path, fp())


def test_another_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (name TEXT)")
    with pytest.raises(JournalError, match="not an omninb journal"):
        Journal(path, fp())


def test_a_database_locked_by_another_connection_is_reported(tmp_path):
    path = tmp_path / "j.sqlite"
    Journal(path, fp()).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(JournalError, match="locked"):
            Journal(path, fp(), timeout=0.1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_journal_in_use_by_a_running_process_is_refused(tmp_path):
    path = tmp_path / "j.sqlite"
    code = (
        "import sys, time; from omninb.journal import Journal, Fingerprint\n"
        f"j = Journal({str(path)!r}, Fingerprint.of(kind='orders', mode='offline', api_key={API_KEY!r}, input_id='sha256:in'))\n"
        "print('open', flush=True); sys.stdin.readline()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout.readline().strip() == "open"
        busy = f"in use by another running push \\(process {proc.pid}\\)"
        for _ in range(2):  # a refused open must not release the other process's claim
            with pytest.raises(JournalError, match=busy):
                Journal(path, fp())
    finally:
        proc.communicate("\n", timeout=30)
    # the owner left: the journal opens again
    Journal(path, fp()).close()


def test_a_killed_owner_does_not_lock_the_journal(tmp_path):
    path = tmp_path / "j.sqlite"
    code = (
        "import os, signal; from omninb.journal import Journal, Fingerprint\n"
        f"j = Journal({str(path)!r}, Fingerprint.of(kind='orders', mode='offline', api_key={API_KEY!r}, input_id='sha256:in'))\n"
        "j.begin(['A'])\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT)
    assert proc.returncode == -9
    with Journal(path, fp()) as j:
        assert j.orders(["A"])["uncertain"].tolist() == [1]


def test_a_closed_journal_says_so(tmp_path):
    j = Journal(tmp_path / "j.sqlite", fp())
    j.close()
    with pytest.raises(JournalError, match="closed"):
        j.begin(["A"])


def test_an_unwritable_location_is_reported(tmp_path):
    with pytest.raises(JournalError, match=r"could not open"):
        Journal(tmp_path / "missing-dir" / "j.sqlite", fp())


def test_repr_names_the_file_and_no_key(tmp_path):
    with Journal(tmp_path / "j.sqlite", fp()) as j:
        text = repr(j)
    assert "j.sqlite" in text and API_KEY not in text and os.sep in text
