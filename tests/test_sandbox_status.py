"""Sandbox status service: job states, WARNING events per failed record, pagination, 404."""

import time

import pytest
from sandbox_http import a_return, events_url, imports_url, order, post_gzip, session

from omninb.sandbox import Sandbox


@pytest.fixture
def sb():
    with Sandbox(catalog=["4556", "4557"], rate_limit=None) as box:
        yield box


def _events(sb, job_id, **params):
    answer = session(sb, "status").get(events_url(sb, job_id), params=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _post(sb, records, kind="orders", mode="offline"):
    answer = post_gzip(session(sb), imports_url(sb, kind) + f"?mode={mode}", records)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_all_accepted_job_is_processing_with_no_events(sb):
    job = _post(sb, [order("1")])["jobId"]
    answer = _events(sb, job)
    summary = answer["summary"]
    assert summary["job-id"] == job
    assert summary["job-status"] == "PROCESSING"
    assert summary["total-events"] == 0
    assert "WARNING" not in summary
    assert summary["query-param"] == "showAll=false&rows=5000"
    assert summary["job"]["baggage"]["records"] == {"total": 1, "failed": 0, "success": 1}
    assert summary["job"]["attributes"] == {"mode": "offline", "type": "orders"}
    assert summary["job"]["name"] == "Total records = 1. Success = 1. Failed = 0"
    assert answer["result"] == []
    assert "pagination" not in answer


def test_partly_failed_job_warns_per_failed_record_with_the_gateway_message(sb):
    job = _post(sb, [order("ok"), order("1234", product="product3")], mode="online")["jobId"]
    answer = _events(sb, job, showAll="True")
    summary = answer["summary"]
    assert summary["job-status"] == summary["job"]["status"] == "PROCESSING_WITH_WARNING"
    assert summary["WARNING"] == summary["total-events"] == 1
    assert summary["query-param"] == "showAll=true&rows=5000"
    [event] = answer["result"]
    assert event["message"] == "No product is found for product ID product3"
    assert event["level"] == "WARNING"
    assert event["type"] == "Application"
    assert event["attributes"] == {"mode": "online", "type": "orders", "orderId": "1234"}
    assert {"taskId", "statusId", "batch", "source", "datacenter", "timestamp"} <= set(event)
    assert sb.ledger()["id"].tolist() == ["ok"]  # the failed record is not stored


def test_all_failed_job_is_failed(sb):
    answer = _post(sb, [order("95189138", product=6024383)])
    assert answer["message"] == "Total records = 1. Success = 0. Failed = 1"
    summary = _events(sb, answer["jobId"])["summary"]
    assert summary["job-status"] == "FAILED"
    assert summary["job"]["baggage"]["records"] == {"total": 1, "failed": 1, "success": 0}


def test_return_events_name_order_and_return(sb):
    job = _post(sb, [a_return("r9", "o9", product="missing")], kind="returns")["jobId"]
    [event] = _events(sb, job)["result"]
    assert event["attributes"] == {
        "mode": "offline",
        "type": "returns",
        "orderId": "o9",
        "returnId": "r9",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"userId": None}, "Mandatory field userId is missing"),
        ({"dateTime": ""}, "Mandatory field dateTime is missing"),
        (
            {"dateTime": "2022-04-25T12:21:55"},
            "Invalid dateTime '2022-04-25T12:21:55': expected ISO 8601 with a UTC offset",
        ),
        ({"dateTime": "yesterday"}, "Invalid dateTime 'yesterday'"),
        ({"lineItems": []}, "Mandatory field lineItems is missing"),
        (
            {"lineItems": [{"productId": "4556", "unitPrice": 1.0}]},
            "Mandatory field lineItems[0].quantity is missing",
        ),
        (
            {"lineItems": [{"productId": "4556", "quantity": 0, "unitPrice": 1.0}]},
            "Field lineItems[0].quantity must be an integer > 0",
        ),
        (
            {"lineItems": [{"productId": "4556", "quantity": 1.5, "unitPrice": 1.0}]},
            "Field lineItems[0].quantity must be an integer > 0",
        ),
        (
            {"lineItems": [{"productId": "4556", "quantity": 1, "unitPrice": -1}]},
            "Field lineItems[0].unitPrice must be a number >= 0",
        ),
        ({"lineItems": ["4556"]}, "lineItems[0] is not a JSON object"),
        ({"couponValue": "12"}, "Field couponValue must be a number >= 0"),
        ({"currency": "dollars"}, "Field currency must be an ISO 4217 code"),
        ({"currency": "ABC"}, "Field currency must be an ISO 4217 code"),
        ({"segmentIds": "44|55"}, "Field segmentIds must be an array of strings"),
        ({"regionId": "north"}, "Field regionId must be an integer"),
        ({"channel": 5}, "Field channel must be a string"),
        ({"id": True}, "Field id must be a string"),
    ],
)
def test_each_field_rule_becomes_a_warning(sb, change, message):
    answer = _post(sb, [order("bad", **change)])
    assert answer["message"].endswith("Failed = 1")
    [event] = _events(sb, answer["jobId"])["result"]
    assert event["message"].startswith(message)
    assert sb.ledger().empty


def test_a_record_fails_whole_when_any_line_fails(sb):
    lines = [
        {"productId": "4556", "quantity": 1, "unitPrice": 1.0},
        {"productId": "nope", "quantity": 1, "unitPrice": 1.0},
    ]
    answer = _post(sb, [order("two-lines", lineItems=lines)])
    assert answer["message"] == "Total records = 1. Success = 0. Failed = 1"
    assert (
        _events(sb, answer["jobId"])["result"][0]["message"]
        == "No product is found for product ID nope"
    )


def test_offset_z_and_numeric_ids_are_accepted(sb):
    answer = _post(sb, [order(123, dateTime="2022-04-25T03:21:55Z", product=4556)])
    assert answer["message"].endswith("Failed = 0")
    assert sb.ledger().loc[0, "id"] == "123"


def test_without_catalog_every_product_is_accepted():
    with Sandbox() as box:
        answer = post_gzip(session(box), imports_url(box), [order("1", product="anything")]).json()
        assert answer["message"].endswith("Success = 1. Failed = 0")


def test_pagination_walks_every_page_with_tokens(sb):
    job = _post(sb, [order(str(i), product=f"missing{i}") for i in range(7)])["jobId"]
    seen, token, pages = [], None, 0
    while True:
        params = {"rows": 3, **({"pageToken": token} if token else {})}
        answer = _events(sb, job, **params)
        pages += 1
        assert answer["pagination"]["rows"] == 3
        assert answer["pagination"]["returned"] == len(answer["result"])
        assert answer["summary"]["total-events"] == 7
        seen += [e["attributes"]["orderId"] for e in answer["result"]]
        token = answer["pagination"]["nextPageToken"]
        if token is None:
            break
    assert pages == 3
    assert seen == [str(i) for i in range(7)]


def test_pagination_block_comes_first_when_rows_is_given(sb):
    job = _post(sb, [order("1")])["jobId"]
    answer = _events(sb, job, rows=10)
    assert list(answer) == ["pagination", "summary", "result"]
    assert answer["pagination"] == {"rows": 10, "returned": 0, "nextPageToken": None}
    assert answer["summary"]["query-param"] == "showAll=false&rows=10"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"rows": "0"}, "rows must be a whole number"),
        ({"rows": "ten"}, "rows must be a whole number"),
        ({"showAll": "maybe"}, "showAll must be True or False"),
        ({"pageToken": "garbage!"}, "does not belong to job"),
    ],
)
def test_bad_status_parameters_get_400(sb, params, fragment):
    job = _post(sb, [order("1")])["jobId"]
    answer = session(sb, "status").get(events_url(sb, job), params=params, timeout=10)
    assert answer.status_code == 400
    assert fragment in answer.json()["message"]


def test_page_token_of_another_job_gets_400(sb):
    first = _post(sb, [order(str(i), product="x") for i in range(3)])["jobId"]
    second = _post(sb, [order("9", product="x")])["jobId"]
    token = _events(sb, first, rows=1)["pagination"]["nextPageToken"]
    answer = session(sb, "status").get(
        events_url(sb, second), params={"pageToken": token}, timeout=10
    )
    assert answer.status_code == 400


def test_unknown_job_and_job_of_another_api_key_get_404():
    with Sandbox(credentials=[("cid", "sec", ["k1", "k2"])]) as box:
        job = (
            session(box)
            .put(imports_url(box, user="u", api_key="k1"), json=order(), timeout=10)
            .json()["jobId"]
        )
        status = session(box, "status")
        assert status.get(events_url(box, job, api_key="k1"), timeout=10).status_code == 200
        other_key = status.get(events_url(box, job, api_key="k2"), timeout=10)
        assert other_key.status_code == 404
        assert f"Job {job} is not known for apiKey k2" in other_key.json()["message"]
        assert (
            status.get(events_url(box, "no-such-job", api_key="k1"), timeout=10).status_code == 404
        )


def test_status_delay_answers_running_without_events_until_it_passes():
    with Sandbox(catalog=[], status_delay=0.5) as box:
        job = (
            session(box)
            .put(imports_url(box, user="u"), json=order("1"), timeout=10)
            .json()["jobId"]
        )
        status = session(box, "status")
        early = status.get(events_url(box, job), timeout=10).json()
        assert early["summary"]["job-status"] == "RUNNING"
        assert early["result"] == []
        time.sleep(0.6)
        late = status.get(events_url(box, job), timeout=10).json()
        assert late["summary"]["job-status"] == "FAILED"
        assert len(late["result"]) == 1
