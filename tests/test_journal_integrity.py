"""Journal integrity: a foreign, locked, corrupt or full journal gives a clear JournalError and loses nothing.

Every case starts from a real push to the sandbox that confirmed some orders in
the journal, then breaks something. The push must refuse (JournalError, an
OmniError) without sending anything it should not, and the orders already
confirmed must still be confirmed when the journal is usable again.
"""

from __future__ import annotations

import sqlite3

import pytest
from push_data import orders, stored

import omninb
from omninb.errors import JournalError
from omninb.push import PushOptions, open_journal, prepare, progress_bar, push, push_prepared

pytestmark = pytest.mark.slow

FIRST, ALL = 120, 900


@pytest.fixture
def world(tmp_path):
    """A sandbox with two API keys, a client on the first, and a journal confirming FIRST orders."""
    creds = [("cid", "sec", ["k1", "k2"])]
    df = orders(ALL, max_lines=2)
    first = df[df["id"].isin(df["id"].unique()[:FIRST])]
    path = tmp_path / "j.sqlite"
    with omninb.Sandbox(rate_limit=None, credentials=creds) as sb, sb.client(rate=None) as client:
        done = push(first, client, journal=path, progress=False, input_id="export-1")
        assert done.summary().complete
        yield sb, client, df, path


def confirmed(path, client, ids, input_id="export-1") -> set[str]:
    with open_journal(path, client, PushOptions(), input_id) as j:
        return j.confirmed(list(ids))


def resume_and_check(sb, client, df, path):
    """Push everything with the right journal: the confirmed orders are not sent again."""
    first_ids = set(df["id"].unique()[:FIRST])
    assert confirmed(path, client, first_ids) == first_ids
    result = push(df, client, journal=path, progress=False, input_id="export-1")
    counts = stored(sb)
    assert result.summary().complete and set(counts.index) == set(df["id"])
    uncertain = set(result.orders.loc[result.orders["uncertain"].astype(bool), "id"])
    assert set(counts[counts > 1].index) <= uncertain  # only in-doubt orders may repeat
    assert (counts[list(first_ids)] == 1).all()


def test_a_journal_of_another_input_is_refused_and_kept(world):
    sb, client, df, path = world
    with pytest.raises(JournalError, match="another input") as refused:
        push(df, client, journal=path, progress=False, input_id="export-2")
    assert str(path) in str(refused.value) and "new journal file" in str(refused.value)
    assert len(stored(sb)) == FIRST  # nothing was sent
    resume_and_check(sb, client, df, path)


def test_a_journal_of_another_api_key_is_refused_and_kept(world):
    sb, client, df, path = world
    with sb.client(api_key="k2", rate=None) as other, pytest.raises(JournalError) as refused:
        push(df, other, journal=path, progress=False, input_id="export-1")
    assert "another API key" in str(refused.value) and "k2" not in str(refused.value)
    assert len(stored(sb)) == FIRST
    resume_and_check(sb, client, df, path)


def test_a_locked_journal_is_refused_and_kept(world):
    sb, client, df, path = world
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing: the file is locked
    try:
        with pytest.raises(JournalError, match="locked") as refused:
            push(df, client, journal=path, progress=False, input_id="export-1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "another process holds it" in str(refused.value)
    assert len(stored(sb)) == FIRST
    resume_and_check(sb, client, df, path)


def test_a_file_that_is_not_a_journal_is_refused_and_left_untouched(world, tmp_path):
    sb, client, df, _ = world
    other = tmp_path / "notes.sqlite"
    other.write_bytes(b"these are my notes, not a database\n" * 200)
    before = other.read_bytes()
    with pytest.raises(JournalError, match="not a readable omninb journal"):
        push(df, client, journal=other, progress=False)
    assert other.read_bytes() == before  # never overwritten
    assert len(stored(sb)) == FIRST


def test_a_corrupted_journal_is_refused_and_left_for_inspection(world):
    sb, client, df, path = world
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page is garbage now
    path.write_bytes(bytes(data))
    with pytest.raises(JournalError, match="corrupt") as refused:
        push(df, client, journal=path, progress=False, input_id="export-1")
    assert "move it aside" in str(refused.value)
    assert path.read_bytes() == bytes(data) and len(stored(sb)) == FIRST


def test_a_garbled_owner_record_does_not_crash_and_the_push_resumes(world):
    # Found here: json.loads on the owner record raised JSONDecodeError (not an OmniError).
    # An unreadable owner proves no live push holds the journal, so the claim replaces it.
    sb, client, df, path = world
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('owner', '{not json')")
    resume_and_check(sb, client, df, path)


def test_a_full_disk_mid_push_stops_with_a_journal_error_and_loses_nothing(world):
    sb, client, df, path = world
    options = PushOptions()
    prepared = prepare(df, options)
    journal = open_journal(path, client, options, "export-1")
    # A real SQLITE_FULL: the journal's connection may not grow the file by more than one page.
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
    journal._db.execute(f"PRAGMA max_page_count = {pages + 1}")
    try:
        with progress_bar(False) as bar, pytest.raises(JournalError) as full:
            push_prepared(prepared, client, journal, options, bar)
    finally:
        journal.close()
    assert "database or disk is full" in str(full.value) and str(path) in str(full.value)
    assert FIRST < len(stored(sb)) < ALL  # it stopped part-way
    resume_and_check(sb, client, df, path)
