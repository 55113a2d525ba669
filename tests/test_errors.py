"""The error tree: one root, one status mapping, messages that say where and what to do."""

import pytest

import omninb
from omninb import errors


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthError),
        (403, errors.AuthError),
        (404, errors.NotFoundError),
        (409, errors.BadRequestError),
        (413, errors.PayloadTooLargeError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (503, errors.ServerError),
        (None, errors.TransportError),
        (302, errors.HTTPError),
    ],
)
def test_error_for_status_maps_each_status_to_one_class(status, cls):
    assert errors.error_for_status(status) is cls


def test_every_public_error_sits_under_omnierror():
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, errors.OmniError), name


def test_http_error_message_names_status_request_orders_job_and_advice():
    exc = errors.ServerError(
        "The import request failed after 8 attempts",
        status_code=503,
        server_message="Service Unavailable",
        request_no=7,
        order_ids=[str(i) for i in range(8)],
        job_id="j-1",
    )
    text = str(exc)
    assert "HTTP 503" in text
    assert "request #7" in text
    assert "orders 0, 1, 2, 3, 4 and 3 more" in text
    assert "job j-1" in text
    assert "journal to resume" in text
    assert exc.order_ids == [str(i) for i in range(8)]


def test_validation_error_carries_its_report():
    exc = errors.ValidationError("2 rows are invalid", report={"rows": 2})
    assert exc.report == {"rows": 2}


def test_errors_are_reexported_from_the_package():
    assert omninb.OmniError is errors.OmniError
    assert omninb.RateLimitError is errors.RateLimitError
