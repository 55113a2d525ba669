"""checks: the rule table and helpers behind schemas (end-to-end messages are in test_schemas)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omninb import checks
from omninb.fields import header_fields, line_fields


def test_every_rule_name_is_unique_and_explains_itself():
    fields = set(header_fields("orders") + header_fields("returns") + line_fields("returns"))
    rules = [r for f in fields for r in checks.rules_for(f)] + [checks.REQUIRED]
    assert set(checks.RULES) == {r.name for r in rules}
    for rule in checks.RULES.values():
        assert rule.explain("col", "value").endswith("."), rule.name


def test_fields_without_format_rules_get_none():
    assert checks.rules_for("channel") == [] and checks.rules_for("notAField") == []


def test_currency_list_is_iso_4217():
    assert {"USD", "EUR", "JPY", "CHF"} <= checks.CURRENCIES
    assert "usd" not in checks.CURRENCIES and "EURO" not in checks.CURRENCIES


def test_rule_tests_return_one_flag_per_row_on_the_same_index():
    s = pd.Series([1, 0, np.nan], index=[5, 6, 7])
    flags = checks.RULES["positive_integer"].test(s)
    assert flags.index.tolist() == [5, 6, 7] and flags.tolist()[:2] == [True, False]


def test_value_codes_treat_missing_alike_and_lists_by_content():
    codes = checks.value_codes(
        pd.Series([["1", "2"], ["1", "2"], ["2"], None, {"x": 1}], dtype=object)
    )
    assert codes[0] == codes[1] and codes[2] != codes[0] and codes[3] == -1 and codes[4] >= 0


@pytest.mark.parametrize(
    ("value", "text"), [(4556.0, "4556"), (4556, "4556"), ("A 1", "A 1"), (np.nan, None)]
)
def test_id_text(value, text):
    assert checks.id_text(value) == text


def test_where_names_row_record_and_column():
    assert checks.where(12, "r9", "returns", "quantity") == "Row 12 (return r9), quantity"
    assert checks.where(3, None, "orders", "id") == "Row 3 (order <no id>), id"


def test_disagreement_shows_empty_values_as_empty():
    text = checks.disagreement("storeId", None, "S1", first_row="a", kind="orders")
    assert text.startswith("empty differs from 'S1' on row a, the first row of this order.")


@pytest.mark.parametrize("dtype", ["str", "string", object])
@pytest.mark.parametrize(
    ("rule", "bad"),
    [("not_raw_email", " John.Doe@Example.com "), ("not_card_number", "4111 1111 1111 1111")],
)
def test_pii_rules_flag_exactly_the_rows_holding_personal_data(dtype, rule, bad):
    # Repeated values (one hash per customer, on every line) are checked once per
    # distinct value; the flags must still land on exactly the right rows.
    digest = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
    values = [digest, bad, None, digest, "q1234rfgth", bad] * 300
    flags = checks.RULES[rule].test(pd.Series(values, dtype=dtype, index=range(5, 1805)))
    assert flags.index.tolist() == list(range(5, 1805))
    assert flags.tolist() == [v != bad for v in values]
