"""The demo's push step: the sample export's valid orders reach an embedded sandbox at the real rate cap."""

import pandas as pd
import pytest

from omninb import demo
from omninb.schemas import validate

pytestmark = pytest.mark.slow


def test_push_sample_sends_every_valid_order_and_the_server_rejects_unknown_products():
    frame = demo.load("orders")
    report = validate(frame, "orders")
    catalog = set(pd.read_csv(demo.DATA_DIR / "catalog.csv", dtype=str).iloc[:, 0])
    valid = report.valid.assign(productId=report.valid["productId"].astype(str))
    unknown = valid.loc[~valid["productId"].isin(catalog), "id"].nunique()

    result = demo.push_sample(frame, demo.DATA_DIR / "catalog.csv", progress=False)

    summary = result.summary()
    assert summary.sent == summary.orders == valid["id"].nunique()
    assert summary.invalid == report.invalid["id"].nunique()
    assert summary.rejected_by_server == unknown > 0  # the sample plants unknown products
    assert (result.requests["orders"] <= 100).all() and (result.requests["bytes"] <= 100_000).all()
