"""The send loop against the sandbox: 413 splitting, single orders too large, failures recorded, journal order."""

import sqlite3

import pytest
from push_data import bulky, orders, stored

import omninb
from omninb import batching, payloads
from omninb.journal import Fingerprint, Journal
from omninb.pushers import Sender, default_workers


def journal():
    return Journal(None, Fingerprint.of(kind="orders", mode="offline", api_key="k", input_id="t"))


def bodies(df):
    return payloads.from_valid(df, "orders", "batch")


@pytest.fixture
def fast():
    with omninb.Sandbox(rate_limit=None) as sb:
        yield sb


def test_a_413_splits_the_batch_and_the_halves_are_stored(fast):
    # packed with a limit above the API's, so the server answers 413
    units = list(batching.pack(bodies(bulky(8, lines=800)), max_bytes=400_000))
    assert any(u.size > 100_000 for u in units)
    keys = [k for u in units for k in u.keys]
    with fast.client(rate=None) as client, journal() as j:
        outcome = Sender(client, j, kind="orders", mode="offline", workers=2).run(units)
        requests = j.requests(keys)
        orders_ = j.orders(keys)
    assert outcome.too_large == [] and not outcome.interrupted and outcome.fatal is None
    assert (stored(fast) == 1).all() and sorted(stored(fast).index) == sorted(keys)
    split = requests[requests["status"] == 413]
    assert len(split) >= 1 and split["message"].str.contains("split in two").all()
    assert (requests.loc[requests["status"] == 200, "bytes"] <= 100_000).all()
    assert orders_["state"].eq("sent").all()
    assert set(orders_["request"]).isdisjoint(
        split["request"]
    )  # each order's latest request is a half


def test_a_single_order_that_gets_413_is_reported_and_not_sent_again(fast):
    big = bodies(bulky(1, lines=4000, prefix="HUGE"))
    small = bodies(orders(3))
    units = list(batching.pack(big + small, max_bytes=1_000_000, max_records=1))
    with fast.client(rate=None) as client, journal() as j:
        outcome = Sender(client, j, kind="orders", mode="offline", workers=2).run(units)
        requests = j.requests(["HUGE0"])
    assert outcome.too_large == ["HUGE0"]
    assert len(requests) == 1 and requests["status"].iloc[0] == 413
    assert "alone is too large" in requests["message"].iloc[0]
    assert set(stored(fast).index) == {"O1000", "O1001", "O1002"}


def test_a_refused_request_is_recorded_and_the_others_go_on(fast):
    first, middle, last = (next(batching.pack(bodies(orders(2, start=s)))) for s in (10, 20, 30))
    broken = batching.Batch(middle.records, middle.keys, b"this is not gzip")
    with fast.client(rate=None) as client, journal() as j:
        outcome = Sender(client, j, kind="orders", mode="offline", workers=3).run(
            [first, broken, last]
        )
        states = j.orders(["O10", "O20", "O30"]).set_index("id")["state"].to_dict()
        refused = j.requests(["O20"]).iloc[0]
    assert outcome.fatal is None
    assert states == {"O10": "sent", "O20": "failed", "O30": "sent"}
    assert refused["status"] == 400 and refused["attempts"] == 1  # not retried
    assert "not gzip" in refused["message"]
    assert set(stored(fast).index) == {"O10", "O11", "O30", "O31"}


def test_each_request_is_committed_to_the_journal_file_before_it_is_sent(fast, tmp_path):
    path, seen = tmp_path / "j.sqlite", []

    class Spy:
        """Wraps the real client; reads the file through its own connection at the moment of sending."""

        def __init__(self, client):
            self.client = client

        def send_batch(self, kind, body, **kw):
            with sqlite3.connect(path) as conn:
                marks = ",".join("?" * len(kw["keys"]))
                sql = f"SELECT DISTINCT r.request, r.state FROM members m JOIN requests r USING (request) WHERE m.key IN ({marks})"
                seen.append(conn.execute(sql, list(kw["keys"])).fetchall())
            return self.client.send_batch(kind, body, **kw)

    units = list(batching.pack(bodies(orders(250))))
    fp = Fingerprint.of(kind="orders", mode="offline", api_key="k", input_id="t")
    with fast.client(rate=None) as client, Journal(path, fp) as j:
        Sender(Spy(client), j, kind="orders", mode="offline", workers=1).run(units)
    assert seen == [[(1, "pending")], [(2, "pending")], [(3, "pending")]]


def test_worker_counts_reach_the_rate_with_latency():
    assert default_workers("single") * 1 / 0.25 >= 100  # 32 PUTs in flight cover 100/s at 250 ms
    with pytest.raises(ValueError, match="method"):
        default_workers("bulk")


def test_zero_workers_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        Sender(None, None, kind="orders", mode="offline", workers=0)


def test_a_ctrl_c_inside_a_held_block_is_raised_when_the_block_ends():
    import _thread
    import signal

    from omninb.pushers import _interrupts_held

    before = signal.getsignal(signal.SIGINT)
    reached_end = False
    with pytest.raises(KeyboardInterrupt), _interrupts_held():
        _thread.interrupt_main()  # what a notebook's stop button sends
        reached_end = True  # not interrupted halfway: journal and tracking stay together
    assert reached_end
    assert signal.getsignal(signal.SIGINT) is before


def test_a_held_block_without_ctrl_c_raises_nothing():
    from omninb.pushers import _interrupts_held

    with _interrupts_held():
        value = 1
    assert value == 1
