"""Journal identity: fingerprints hash the API key, payload digests, owner records."""

import json
import os
import subprocess
import sys

from omninb.fingerprint import Fingerprint, digest_payloads, held_by_other, owner_record


def test_the_fingerprint_holds_a_hash_of_the_api_key_never_the_key():
    fp = Fingerprint.of(kind="orders", mode="offline", api_key="secret-ish-key", input_id="x")
    assert "secret-ish-key" not in repr(fp)
    assert len(fp.api_key_sha256) == 64
    assert fp != Fingerprint.of(kind="orders", mode="offline", api_key="other", input_id="x")


def test_payload_digest_depends_on_content_and_order_not_key_order():
    assert digest_payloads([{"id": "1", "userId": "u"}]) == digest_payloads(
        [{"userId": "u", "id": "1"}]
    )
    assert digest_payloads([{"id": "1"}, {"id": "2"}]) != digest_payloads(
        [{"id": "2"}, {"id": "1"}]
    )
    assert digest_payloads([]).startswith("sha256:")


def test_a_live_other_process_holds_the_journal_a_dead_one_does_not():
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    record = json.dumps({"pid": child.pid, "host": json.loads(owner_record())["host"]})
    try:
        assert held_by_other(record) == child.pid
    finally:
        child.communicate(b"")
    assert held_by_other(record) is None  # exited and reaped


def test_this_process_another_host_or_no_record_do_not_hold_it():
    assert held_by_other(owner_record()) is None
    assert held_by_other(json.dumps({"pid": os.getppid(), "host": "elsewhere.invalid"})) is None
    assert held_by_other(None) is None
