"""Sandbox imports: POST and PUT of orders and returns, body rules, rate window and the ledger."""

import gzip
import json

import pytest
import requests
from sandbox_http import a_return, events_url, imports_url, order, post_gzip, session

from omninb.sandbox import Sandbox


@pytest.fixture
def sb():
    with Sandbox(catalog=["4556", "4557", "content__662"], rate_limit=None) as box:
        yield box


def test_post_gzip_orders_are_stored_and_answered_like_the_reference(sb):
    answer = post_gzip(
        session(sb), imports_url(sb) + "?mode=online", [order("a"), order("b", user="u2")]
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"message", "time", "jobId"}
    assert body["message"] == "Total records = 2. Success = 2. Failed = 0"
    assert (
        isinstance(body["time"], int) and body["time"] > 1_600_000_000_000
    )  # epoch ms, as in the reference
    ledger = sb.ledger()
    assert ledger[["id", "userId", "mode", "kind", "stored"]].values.tolist() == [
        ["a", "u1", "online", "orders", 1],
        ["b", "u2", "online", "orders", 1],
    ]
    assert set(ledger["jobId"]) == {body["jobId"]}
    assert set(ledger["apiKey"]) == {sb.credentials["api_key"]}


def test_plain_json_post_is_accepted_and_mode_defaults_to_offline(sb):
    answer = session(sb).post(imports_url(sb), json=[order("p1")], timeout=10)
    assert answer.status_code == 200
    assert sb.ledger().loc[0, "mode"] == "offline"


def test_put_takes_the_user_id_from_the_url(sb):
    answer = session(sb).put(
        imports_url(sb, user="shopper9"), json=order("x", user="ignored"), timeout=10
    )
    assert answer.json()["message"] == "Total records = 1. Success = 1. Failed = 0"
    assert sb.ledger().loc[0, "userId"] == "shopper9"


def test_gzip_put_is_accepted(sb):
    body = gzip.compress(json.dumps(order("gz")).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    answer = session(sb).put(imports_url(sb, user="u1"), data=body, headers=headers, timeout=10)
    assert answer.status_code == 200
    assert sb.ledger()["id"].tolist() == ["gz"]


def test_returns_are_keyed_by_return_id_and_keep_their_order_id(sb):
    s = session(sb)
    assert post_gzip(s, imports_url(sb, "returns"), [a_return("r1", "o1")]).status_code == 200
    assert s.put(
        imports_url(sb, "returns", user="u7") + "?mode=online",
        json=a_return("r2", "o1"),
        timeout=10,
    ).ok
    ledger = sb.ledger()
    assert ledger[["kind", "id", "orderId", "returnId", "userId", "mode"]].values.tolist() == [
        ["returns", "r1", "o1", "r1", "u1", "offline"],
        ["returns", "r2", "o1", "r2", "u7", "online"],
    ]


def test_storing_the_same_order_twice_counts_two(sb):
    s = session(sb)
    first = s.put(imports_url(sb, user="u1"), json=order("dup"), timeout=10).json()["jobId"]
    second = post_gzip(s, imports_url(sb), [order("dup"), order("other")]).json()["jobId"]
    ledger = sb.ledger().set_index("id")
    assert ledger.loc["dup", "stored"] == 2
    assert ledger.loc["dup", "jobId"] == second != first
    assert ledger.loc["other", "stored"] == 1


def test_ledger_with_records_keeps_the_exact_json(sb):
    sent = order(
        "m1",
        couponValue=23.76,
        lineItems=[{"productId": 4556, "quantity": 10, "unitPrice": 256.678}],
    )
    post_gzip(session(sb), imports_url(sb), [sent])
    assert sb.ledger(with_records=True).loc[0, "record"] == sent


def test_empty_ledger_has_its_columns(sb):
    ledger = sb.ledger()
    assert ledger.empty
    assert list(ledger.columns) == [
        "apiKey",
        "kind",
        "mode",
        "id",
        "orderId",
        "returnId",
        "userId",
        "jobId",
        "stored",
    ]


@pytest.mark.parametrize(
    ("body", "headers", "fragment"),
    [
        (b"{not json", {}, "not valid JSON"),
        (b'{"id": 1}', {}, "JSON array of 1 to 100 objects"),
        (b"[]", {}, "not an empty array"),
        (b"[1, 2]", {}, "positions [0, 1]"),
        (b'[{"id": NaN}]', {}, "not valid JSON"),
        (b"plain", {"Content-Encoding": "gzip"}, "is not gzip"),
        (b"[]", {"Content-Encoding": "br"}, "not supported"),
    ],
)
def test_malformed_post_bodies_get_400_and_store_nothing(sb, body, headers, fragment):
    answer = session(sb).post(imports_url(sb), data=body, headers=headers, timeout=10)
    assert answer.status_code == 400
    assert fragment in answer.json()["message"]
    assert sb.ledger().empty


def test_put_body_must_be_one_object(sb):
    answer = session(sb).put(imports_url(sb, user="u1"), json=[order()], timeout=10)
    assert answer.status_code == 400
    assert "one JSON object, not a JSON array" in answer.json()["message"]


def test_unknown_mode_gets_400(sb):
    answer = session(sb).put(imports_url(sb, user="u1") + "?mode=hybrid", json=order(), timeout=10)
    assert answer.status_code == 400
    assert "offline or online" in answer.json()["message"]


def test_more_than_100_records_get_413(sb):
    answer = post_gzip(session(sb), imports_url(sb), [order(str(i)) for i in range(101)])
    assert answer.status_code == 413
    assert "101 records" in answer.json()["message"]
    assert sb.ledger().empty


def test_exactly_100_records_are_accepted(sb):
    answer = post_gzip(session(sb), imports_url(sb), [order(str(i)) for i in range(100)])
    assert answer.json()["message"] == "Total records = 100. Success = 100. Failed = 0"


def test_body_over_100_kb_as_received_gets_413_even_with_few_records(sb):
    big = order("big", emailHash="x" * 150_000)
    plain = session(sb).post(imports_url(sb), json=[big], timeout=10)
    assert plain.status_code == 413
    assert "100,000 bytes" in plain.json()["message"]
    # the same record compresses far below the limit: the limit is on the body as received
    assert post_gzip(session(sb), imports_url(sb), [big]).status_code == 200


def test_unknown_route_and_method_get_json_errors(sb):
    s = session(sb)
    missing = s.get(sb.url + "/omnichannel/api/v1/k/unknown", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["status"] == 404
    wrong_method = s.delete(imports_url(sb), timeout=10)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "Method Not Allowed"


def test_rate_window_refuses_with_429_and_retry_after_and_does_not_count_refusals():
    with Sandbox(rate_limit=100) as box:
        s = session(box)
        assert post_gzip(s, imports_url(box), [order(str(i)) for i in range(60)]).status_code == 200
        refused = post_gzip(s, imports_url(box), [order(f"b{i}") for i in range(41)])
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "at most 100 records per second" in refused.json()["message"]
        # the refused 41 did not count: 40 more still fit in the same second
        fits = post_gzip(s, imports_url(box), [order(f"c{i}") for i in range(40)])
        assert fits.status_code == 200
        assert (
            s.put(imports_url(box, user="u1"), json=order("one-more"), timeout=10).status_code
            == 429
        )
        assert len(box.ledger()) == 100


def test_rate_window_is_per_api_key():
    creds = [("cid", "sec", ["k1", "k2"])]
    with Sandbox(rate_limit=1, credentials=creds) as box:
        s = session(box)
        assert (
            s.put(imports_url(box, user="u", api_key="k1"), json=order("1"), timeout=10).status_code
            == 200
        )
        assert (
            s.put(imports_url(box, user="u", api_key="k1"), json=order("2"), timeout=10).status_code
            == 429
        )
        assert (
            s.put(imports_url(box, user="u", api_key="k2"), json=order("3"), timeout=10).status_code
            == 200
        )


def test_token_and_status_calls_are_not_rate_limited():
    with Sandbox(rate_limit=1) as box:
        s = session(box)
        job = s.put(imports_url(box, user="u"), json=order("1"), timeout=10).json()["jobId"]
        status = session(box, "status")
        codes = {status.get(events_url(box, job), timeout=10).status_code for _ in range(5)}
        assert codes == {200}


def test_connection_refused_after_close():
    box = Sandbox()
    url = box.url
    box.close()
    box.close()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)


def test_put_user_id_is_url_decoded(sb):
    answer = session(sb).put(imports_url(sb, user="user%20A%2F1%3F"), json=order("q"), timeout=10)
    assert answer.status_code == 200
    assert sb.ledger().loc[0, "userId"] == "user A/1?"


def test_client_helper_is_pointed_at_the_sandbox_with_its_credentials(sb):
    with sb.client() as client:
        answer = client.send_single("orders", "u5", order("via-client"), mode="online")
    assert answer.job_id == sb.ledger().loc[0, "jobId"]
    assert sb.ledger().loc[0, ["id", "userId", "mode"]].tolist() == ["via-client", "u5", "online"]
