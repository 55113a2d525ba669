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

    result, status = demo.push_sample(frame, demo.DATA_DIR / "catalog.csv", progress=False)

    summary = result.summary()
    assert summary.sent == summary.orders == valid["id"].nunique()
    assert summary.invalid == report.invalid["id"].nunique()
    assert summary.rejected_by_server == unknown > 0  # the sample plants unknown products
    assert (result.requests["orders"] <= 100).all() and (result.requests["bytes"] <= 100_000).all()
    assert set(status.jobs["jobId"]) == set(result.requests["jobId"])
    assert status.jobs["final"].all()
    assert status.events["orderId"].nunique() == unknown


def test_review_reconciles_every_source_order_and_writes_the_files(tmp_path):
    frame = demo.load("orders")
    result, status = demo.push_sample(frame, demo.DATA_DIR / "catalog.csv", progress=False)
    paths = demo.review(frame, result, status, tmp_path)
    written = pd.read_csv(paths["reconciliation"], dtype={"id": str})
    assert written["id"].tolist() == list(frame["id"].unique())
    counts = written["outcome"].value_counts()
    assert counts["invalid"] == result.summary().invalid
    assert counts["rejected"] == status.events["orderId"].nunique()
    assert counts["accepted"] == len(frame["id"].unique()) - counts["invalid"] - counts["rejected"]
    assert {p.suffix for p in paths.values()} == {".csv", ".png"}
    assert all(p.stat().st_size > 1000 for p in paths.values())
