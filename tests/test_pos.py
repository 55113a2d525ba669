"""pos.read_pos: formats, column mapping, time zones, and chunks that hold whole orders."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import omninb
from omninb import pos
from omninb.errors import ConfigError, OmniError, ValidationError
from omninb.pos import read_pos

MAPPING = {
    "Txn": "id",
    "Cust": "userId",
    "When": "dateTime",
    "Item": "productId",
    "Qty": "quantity",
    "Price": "unitPrice",
}

CSV = """Txn,Cust,When,Item,Qty,Price,Note
00101,9007199254740993,2024-03-10 09:00:00,0042,1,1.10,a
00101,9007199254740993,2024-03-10 09:00:00,0043,2,2.20,b
00102,77,2024-03-10 09:05:00,0042,1,1.10,c
00103,78,2024-03-10 09:06:00,0044,1,3.30,d
00103,78,2024-03-10 09:06:00,0045,1,4.40,e
00103,78,2024-03-10 09:06:00,0046,1,5.50,f
00104,79,2024-03-10 09:07:00,0042,3,1.10,g
"""


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(CSV)
    return path


def ids_of(chunks):
    return [chunk["id"].tolist() for chunk in chunks]


def test_csv_columns_are_renamed_and_ids_read_as_text(export):
    df = pos.read_pos(export, columns=MAPPING, tz="Asia/Tokyo")
    assert list(df.columns) == [
        "id",
        "userId",
        "dateTime",
        "productId",
        "quantity",
        "unitPrice",
        "Note",
    ]
    assert df["id"].tolist()[:3] == ["00101", "00101", "00102"]
    assert df["userId"].iloc[0] == "9007199254740993"  # every digit kept
    assert df["productId"].iloc[0] == "0042"
    assert df["quantity"].tolist() == [1, 2, 1, 1, 1, 1, 3]


def test_tz_localises_naive_timestamps(export):
    df = pos.read_pos(export, columns=MAPPING, tz="Asia/Tokyo")
    assert df["dateTime"].iloc[0].isoformat() == "2024-03-10T09:00:00+09:00"
    assert omninb.read_pos(export, columns=MAPPING)["dateTime"].iloc[0].tzinfo is None


def test_without_tz_the_naive_rows_are_left_for_validation_to_report(export):
    df = pos.read_pos(export, columns=MAPPING)
    report = df.omni.validate("orders")
    assert set(report.errors["check"]) == {"datetime_with_offset"}


def test_offsets_in_the_export_are_kept_and_tz_only_fills_naive_ones(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("id,dateTime\n1,2024-03-10T09:00:00-05:00\n2,2024-03-10T09:00:00\n")
    df = pos.read_pos(path, tz="Europe/Paris")
    assert [t.isoformat() for t in df["dateTime"]] == [
        "2024-03-10T09:00:00-05:00",
        "2024-03-10T09:00:00+01:00",
    ]


def test_a_wall_time_skipped_by_dst_stays_naive_and_is_reported(tmp_path):
    path = tmp_path / "dst.csv"
    path.write_text("id,dateTime\n1,2024-03-10 02:30:00\n2,2024-03-10 03:30:00\n")
    df = pos.read_pos(path, tz="America/New_York")
    assert df["dateTime"].iloc[0].tzinfo is None
    assert df["dateTime"].iloc[1].isoformat() == "2024-03-10T03:30:00-04:00"


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx", ".csv.gz"])
def test_other_formats_read_the_same(export, tmp_path, suffix):
    expected = pos.read_pos(export, columns=MAPPING, tz="Asia/Tokyo")
    raw = pd.read_csv(export, dtype=str)
    path = tmp_path / f"orders{suffix}"
    if suffix == ".parquet":
        raw.to_parquet(path)
    elif suffix == ".xlsx":
        raw.to_excel(path, index=False)
    else:
        raw.to_csv(path, index=False)
    got = pos.read_pos(path, columns=MAPPING, tz="Asia/Tokyo")
    assert got["id"].tolist() == expected["id"].tolist()
    assert got["dateTime"].tolist() == expected["dateTime"].tolist()
    assert got["productId"].tolist() == expected["productId"].tolist()


def test_a_dataframe_source_is_not_modified():
    source = pd.DataFrame({"Txn": [1, 1], "When": ["2024-01-01 10:00", "2024-01-01 10:00"]})
    df = pos.read_pos(source, columns={"Txn": "id", "When": "dateTime"}, tz="UTC")
    assert list(source.columns) == ["Txn", "When"] and source["When"].iloc[0] == "2024-01-01 10:00"
    assert str(df["dateTime"].dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 100])
def test_chunks_hold_whole_orders_whatever_the_chunk_size(export, size):
    chunks = list(pos.read_pos(export, columns=MAPPING, chunksize=size))
    ids = [i for chunk in chunks for i in chunk["id"].tolist()]
    assert ids == ["00101", "00101", "00102", "00103", "00103", "00103", "00104"]
    owners = {}
    for n, chunk in enumerate(chunks):
        for order_id in chunk["id"].unique():
            assert owners.setdefault(order_id, n) == n, f"order {order_id} split across chunks"
    assert [i for chunk in chunks for i in chunk.index] == list(range(7))


def test_an_order_cut_by_the_boundary_moves_to_the_next_chunk(export):
    assert ids_of(pos.read_pos(export, columns=MAPPING, chunksize=4)) == [
        ["00101", "00101", "00102"],
        ["00103", "00103", "00103"],
        ["00104"],
    ]


def test_parquet_chunks_number_rows_across_the_whole_file(export, tmp_path):
    path = tmp_path / "orders.parquet"
    pd.read_csv(export, dtype=str).to_parquet(path)
    chunks = list(pos.read_pos(path, columns=MAPPING, chunksize=2))
    assert [c.index.tolist() for c in chunks] == [[0, 1, 2], [3, 4, 5], [6]]


def test_chunked_dataframe_and_returns_keyed_by_return_id():
    df = pd.DataFrame({"returnId": ["r1", "r1", "r2", "r3", "r3"], "orderId": ["o"] * 5})
    # a chunk is yielded once the next order has started, so the last order is known complete
    assert ids_of_returns(pos.read_pos(df, kind="returns", chunksize=2)) == [
        ["r1", "r1", "r2"],
        ["r3", "r3"],
    ]


def ids_of_returns(chunks):
    return [chunk["returnId"].tolist() for chunk in chunks]


def test_an_order_reappearing_in_a_later_chunk_is_an_error_naming_its_rows(export, tmp_path):
    path = tmp_path / "split.csv"
    path.write_text(CSV + "00102,77,2024-03-10 09:05:00,0049,1,9.90,late\n")
    chunks = pos.read_pos(path, columns=MAPPING, chunksize=2)
    assert next(chunks)["id"].tolist() == ["00101", "00101", "00102"]
    with pytest.raises(pos.NonContiguousOrderError) as info:
        list(chunks)
    assert isinstance(info.value, ValidationError) and isinstance(info.value, OmniError)
    assert info.value.order_id == "00102" and info.value.rows == [2, 7]
    assert str(info.value) == (
        "id '00102' appears on rows 2, 7 with other orders in between. Rows of one order must be next "
        "to each other: sort the export by id (keeping line order, e.g. df.sort_values('id', kind='stable')) "
        "or give the later rows their own id if it was reused."
    )


def test_an_order_reappearing_within_one_chunk_is_an_error(export, tmp_path):
    path = tmp_path / "split.csv"
    path.write_text(
        CSV.replace("00103,78,2024-03-10 09:06:00,0045", "00101,78,2024-03-10 09:06:00,0045")
    )
    with pytest.raises(pos.NonContiguousOrderError, match=r"id '00101' appears on rows 0, 1, 4 "):
        list(pos.read_pos(path, columns=MAPPING, chunksize=100))
    with pytest.raises(pos.NonContiguousOrderError, match=r"rows 0, 1, 4 "):
        pos.read_pos(path, columns=MAPPING)


def test_an_earlier_multi_row_order_is_named_as_a_range(export, tmp_path):
    path = tmp_path / "split.csv"
    path.write_text(CSV + "00103,78,2024-03-10 09:06:00,0047,1,1.00,late\n")
    with pytest.raises(pos.NonContiguousOrderError, match=r"rows 3-5, 7 "):
        list(pos.read_pos(path, columns=MAPPING, chunksize=7))


def test_rows_without_an_id_do_not_count_as_a_split_order():
    df = pd.DataFrame({"id": ["1", None, "2", None, "3"]})
    assert [len(c) for c in pos.read_pos(df, chunksize=1)] == [1, 1, 1, 1, 1]


def test_mapping_a_column_the_export_lacks(export):
    with pytest.raises(
        ConfigError, match=r"columns= maps \['TransactionID'\] but the export has no such column"
    ):
        pos.read_pos(export, columns={"TransactionID": "id"})


def test_two_columns_mapped_to_one_field(export):
    with pytest.raises(ConfigError, match=r"Several columns end up named \['id'\]"):
        pos.read_pos(export, columns={"Txn": "id", "Cust": "id"})


def test_chunked_reading_needs_the_record_key(export):
    with pytest.raises(ConfigError, match="has no 'id' column"):
        list(pos.read_pos(export, chunksize=3))


def test_unknown_file_type_and_bad_chunk_size(tmp_path, export):
    with pytest.raises(ConfigError, match=r"unknown file type '\.json'"):
        pos.read_pos(tmp_path / "orders.json")
    with pytest.raises(ConfigError, match="chunksize must be a positive number"):
        pos.read_pos(export, columns=MAPPING, chunksize=0)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        pos.read_pos(tmp_path / "nope.csv")


def test_parse_datetimes_keeps_unparseable_values_for_validation():
    out = pos.parse_datetimes(pd.Series(["2024-01-01T10:00:00+01:00", "soon", None]))
    assert out.iloc[0].isoformat() == "2024-01-01T10:00:00+01:00"
    assert out.iloc[1] == "soon" and out.iloc[2] is pd.NaT


def test_columns_may_be_a_json_mapping_file(tmp_path):
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"Txn": "id", "Qty": "quantity"}))
    df = read_pos(pd.DataFrame({"Txn": [1, 1], "Qty": [1, 2]}), columns=mapping)
    assert list(df.columns) == ["id", "quantity"]


@pytest.mark.parametrize("text", ["not json", '["id"]', '{"Txn": 3}'])
def test_a_bad_mapping_file_is_a_config_error_naming_it(tmp_path, text):
    mapping = tmp_path / "map.json"
    mapping.write_text(text)
    with pytest.raises(ConfigError, match=r"map\.json"):
        read_pos(pd.DataFrame({"Txn": [1]}), columns=mapping)


@pytest.mark.parametrize("late", ["o0", "o7", "o18"])
def test_a_split_order_is_found_after_many_chunks_were_merged(late):
    # 20 one-row chunks force several merges of the remembered-orders blocks.
    ids = [f"o{i}" for i in range(20)] + ["o19", late]
    with pytest.raises(pos.NonContiguousOrderError) as info:
        list(pos.read_pos(pd.DataFrame({"id": ids}), chunksize=1))
    assert info.value.order_id == late
    assert info.value.rows == [int(late[1:]), 21]
