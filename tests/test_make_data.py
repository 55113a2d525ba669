"""data/make_data.py: regenerating the sample data gives exactly the committed files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent.parent / "data"
FILES = ["catalog.csv", "orders.csv", "returns.csv", "orders_columns.json", "returns_columns.json"]


def load_generator():
    spec = importlib.util.spec_from_file_location("make_data", DATA / "make_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regeneration_is_byte_for_byte_identical(tmp_path, capsys):
    load_generator().main(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
    assert "deliberate faults" in capsys.readouterr().out


def test_sample_shape_matches_the_brief():
    orders = pd.read_csv(DATA / "orders.csv", dtype=str)
    catalog = pd.read_csv(DATA / "catalog.csv", dtype=str)
    assert orders["TransactionID"].nunique() >= 2000
    assert orders["StoreNo"].nunique() >= 3
    assert pd.to_datetime(orders["TxnTimestamp"].str.slice(0, 10)).nunique() >= 5
    unknown = ~orders["ArticleNo"].isin(catalog["productId"])
    assert 0 < unknown.sum() < len(orders) * 0.05
    assert sum((DATA / n).stat().st_size for n in FILES) < 3_000_000
