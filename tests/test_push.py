"""push(): clean runs, invalid input, journal resume and refusal, progress; against the sandbox."""

import pandas as pd
import pytest
from push_data import bulky, orders, returns, stored

import omninb
from omninb.errors import JournalError, ValidationError
from omninb.push import push
from omninb.result import INVALID_COLUMNS, ORDER_COLUMNS, REQUEST_COLUMNS


@pytest.fixture
def fast():
    """A sandbox without the rate limit: these tests are about content, not speed."""
    with omninb.Sandbox(rate_limit=None) as sb:
        yield sb


def test_clean_batch_run_stores_every_order_exactly_once(fast):
    df = orders(250)
    with fast.client(rate=None) as client:
        result = push(df, client, progress=False)
    counts = stored(fast)
    assert sorted(counts.index) == sorted(df["id"].unique())
    assert (counts == 1).all()
    assert result.orders["state"].eq("sent").all()
    assert tuple(result.requests.columns) == REQUEST_COLUMNS
    assert tuple(result.orders.columns) == ORDER_COLUMNS
    assert result.requests["orders"].tolist() == [100, 100, 50]  # as full as the limit allows
    assert result.requests["success"].sum() == 250 and result.requests["failed"].sum() == 0
    assert result.requests["jobId"].notna().all() and result.requests["status"].eq(200).all()
    assert result.summary().complete


def test_orders_carry_the_job_id_of_their_request(fast):
    df = orders(120)
    with fast.client(rate=None) as client:
        result = push(df, client, progress=False)
    ledger = fast.ledger().set_index("id")
    jobs = result.orders.set_index("id")["jobId"]
    assert (jobs.sort_index() == ledger["jobId"].sort_index().astype("string")).all()
    per_request = result.orders.groupby("request").size()
    assert per_request.to_dict() == result.requests.set_index("request")["orders"].to_dict()


def test_clean_single_run_sends_one_put_per_order_with_the_user_in_the_url(fast):
    df = orders(40)
    with fast.client(rate=None) as client:
        result = push(df, client, method="single", progress=False)
    ledger = fast.ledger(with_records=True).set_index("id")
    assert len(result.requests) == 40 and result.requests["orders"].eq(1).all()
    users = df.drop_duplicates("id").set_index("id")["userId"]
    assert (ledger["userId"].sort_index() == users.sort_index()).all()
    assert ledger["stored"].eq(1).all()
    assert result.summary().sent == 40


def test_returns_are_keyed_by_return_id(fast):
    df = returns(30)
    with fast.client(rate=None) as client:
        result = push(df, client, kind="returns", mode="online", progress=False)
    counts = stored(fast, "returns")
    assert sorted(counts.index) == sorted(df["returnId"])
    assert set(fast.ledger()["mode"]) == {"online"}
    assert result.kind == "returns" and result.orders["id"].tolist() == df["returnId"].tolist()


def test_every_request_respects_both_limits_and_fills_up_to_the_byte_limit(fast):
    df = bulky(20, lines=800)  # ~25 KB compressed per order: three or four per request
    with fast.client(rate=None) as client:
        result = push(df, client, progress=False)
    assert (result.requests["bytes"] <= 100_000).all()
    assert (result.requests["orders"] <= 100).all()
    assert result.requests["orders"].iloc[:-1].min() >= 2
    assert (stored(fast) == 1).all() and len(stored(fast)) == 20


def test_an_order_too_large_alone_is_reported_not_sent(fast):
    df = pd.concat([orders(5), bulky(1, lines=4000, prefix="HUGE")], ignore_index=True)
    with fast.client(rate=None) as client:
        result = push(df, client, progress=False)
    assert "HUGE0" not in set(fast.ledger()["id"])
    assert len(stored(fast)) == 5
    bad = result.invalid.set_index("id").loc["HUGE0"]
    assert bad["check"] == "max_gzip_bytes" and bad["value"] > 100_000
    assert bad["row"] == df.index[df["id"] == "HUGE0"][0]
    assert "Split its line items" in bad["message"]
    assert "HUGE0" not in set(result.orders["id"])
    assert result.summary().invalid == 1 and not result.summary().complete


def broken(df):
    bad = df.copy()
    bad.loc[bad["id"] == "O1003", "quantity"] = 0
    bad.loc[bad["id"] == "O1007", "dateTime"] = "not a date"
    return bad


def test_invalid_rows_raise_by_default_and_nothing_is_sent(fast):
    with fast.client(rate=None) as client, pytest.raises(ValidationError) as info:
        push(broken(orders(10)), client, progress=False)
    assert fast.ledger().empty
    assert "Nothing was sent" in str(info.value) and "on_invalid='skip'" in str(info.value)
    assert set(info.value.report.errors["id"]) == {"O1003", "O1007"}


def test_skip_pushes_the_valid_orders_and_reports_the_others(fast):
    with fast.client(rate=None) as client:
        result = push(broken(orders(10)), client, on_invalid="skip", progress=False)
    assert set(stored(fast).index) == {f"O{1000 + i}" for i in range(10)} - {"O1003", "O1007"}
    assert tuple(result.invalid.columns) == INVALID_COLUMNS
    assert set(result.invalid["id"]) == {"O1003", "O1007"}
    assert set(result.invalid["column"]) >= {"quantity", "dateTime"}
    assert len(result.orders) == 8 and result.summary().invalid == 2


def test_pushing_again_with_the_journal_sends_nothing_new(fast, tmp_path):
    df, path = orders(150), tmp_path / "import.sqlite"
    with fast.client(rate=None) as client:
        first = push(df, client, journal=path, progress=False)
        again = push(df, client, journal=path, progress=False)
    assert (stored(fast) == 1).all() and len(stored(fast)) == 150
    assert again.requests["request"].tolist() == first.requests["request"].tolist()
    assert again.orders["state"].eq("sent").all()
    assert again.journal == str(path)


def test_a_journal_resumes_only_what_was_not_confirmed(fast, tmp_path):
    df, path = orders(200), tmp_path / "import.sqlite"
    with fast.client(rate=None) as client:
        push(df[df["id"] < "O1100"], client, journal=path, input_id="export-1", progress=False)
        result = push(df, client, journal=path, input_id="export-1", progress=False)
    assert (stored(fast) == 1).all() and len(stored(fast)) == 200
    assert result.requests["orders"].tolist() == [100, 100]
    assert result.orders["state"].eq("sent").all()


def test_a_journal_from_another_input_is_refused_before_sending(fast, tmp_path):
    path = tmp_path / "import.sqlite"
    with fast.client(rate=None) as client:
        push(orders(5), client, journal=path, progress=False)
        with pytest.raises(JournalError, match="another input"):
            push(orders(5, seed=99), client, journal=path, progress=False)
    assert len(fast.ledger()) == 5


def test_a_journal_from_another_api_key_is_refused(tmp_path):
    creds = [("cid", "secret-one", ["key-a", "key-b"])]
    with omninb.Sandbox(rate_limit=None, credentials=creds) as sb:
        with sb.client(api_key="key-a") as client:
            push(orders(5), client, journal=tmp_path / "j.sqlite", progress=False)
        with (
            sb.client(api_key="key-b") as client,
            pytest.raises(JournalError, match="another API key"),
        ):
            push(orders(5), client, journal=tmp_path / "j.sqlite", progress=False)
        assert set(sb.ledger()["apiKey"]) == {"key-a"}


def test_a_journal_from_another_environment_is_refused(tmp_path):
    creds = [("cid", "secret-one", ["key-a"])]
    journal = tmp_path / "j.sqlite"
    with (
        omninb.Sandbox(rate_limit=None, credentials=creds) as qa,
        qa.client(api_key="key-a") as client,
    ):
        push(orders(5), client, journal=journal, progress=False)
    with omninb.Sandbox(rate_limit=None, credentials=creds) as prod:
        with (
            prod.client(api_key="key-a") as client,
            pytest.raises(JournalError, match="another API URL"),
        ):
            push(orders(5), client, journal=journal, progress=False)
        assert prod.ledger().empty


def test_progress_bar_shows_orders_per_second_and_can_be_silenced(fast, capsys):
    with fast.client(rate=None) as client:
        push(orders(30), client, progress=True)
        shown = capsys.readouterr().err
        push(orders(30, start=5000), client, progress=False)
        silent = capsys.readouterr()
    assert "order/s" in shown and "30/30" in shown
    assert silent.err == "" and silent.out == ""


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("kind", "refunds"),
        ("mode", "later"),
        ("method", "bulk"),
        ("on_invalid", "ignore"),
        ("max_workers", 0),
    ],
)
def test_unknown_options_are_refused_before_anything_happens(fast, option, value):
    with fast.client(rate=None) as client, pytest.raises(ValueError, match=option):
        push(orders(2), client, progress=False, **{option: value})
    assert fast.ledger().empty


def test_the_accessor_is_a_facade_over_push(fast):
    df = orders(20)
    with fast.client(rate=None) as client:
        result = df.omni.push(client, kind="orders", progress=False)
    assert result.summary().sent == 20 and len(stored(fast)) == 20


def test_sent_at_is_when_each_request_left_after_the_throttle(sandbox):
    # 300 orders at 100/s: three batches whose departures the throttle spaces ~1 s apart
    with sandbox.client() as client:
        result = push(orders(300), client, progress=False)
    sent = result.requests["sent_at"].sort_values()
    gaps = sent.diff().dropna().dt.total_seconds()
    assert len(sent) == 3 and (gaps >= 1.0).all()
