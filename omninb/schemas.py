"""Validation of long order/return frames against the API's rules (DESIGN section 1).

Column rules are a pandera schema whose failure cases are translated into
plain-English messages; the cross-row rule (all rows of one order agree on
order-level fields) is checked here directly. An order with any invalid row
is invalid as a whole, so ``report.valid`` holds only complete, clean orders.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from omninb import checks
from omninb.fields import header_fields, line_fields, mandatory_fields, record_key
from omninb.pos import parse_datetimes

__all__ = ["ERROR_COLUMNS", "ValidationReport", "schema", "validate"]

ERROR_COLUMNS = ("row", "id", "column", "check", "value", "message")


@dataclass(frozen=True, repr=False)
class ValidationReport:
    """What ``validate`` found: one row per problem, and the rows split by order outcome.

    Attributes:
        kind: "orders" or "returns".
        errors: columns row, id, column, check, value, message (row is the input's index label).
        valid: rows of orders with no problem at all, ready for ``payloads.from_valid``.
        invalid: every row of every order with at least one problem.
    """

    kind: str
    errors: pd.DataFrame
    valid: pd.DataFrame
    invalid: pd.DataFrame

    @property
    def ok(self) -> bool:
        """True when there is no problem at all.

        Example:
            >>> validate(pd.DataFrame({"id": ["1"]}), "orders").ok
            False

        Raises:
            Nothing.
        """
        return self.errors.empty

    def counts(self) -> pd.Series:
        """Number of problems per check, largest first.

        Example:
            >>> validate(pd.DataFrame({"id": ["1"]}), "orders").counts().to_dict()
            {'column_present': 5}

        Raises:
            Nothing.
        """
        return self.errors["check"].value_counts()

    def message(self) -> str:
        """One paragraph for an exception: how much is wrong, the first problem, what to do.

        Example:
            >>> validate(pd.DataFrame({"id": ["1"]}), "orders").message().split(".")[0]
            '1 of 1 rows (1 of 1 orders) are invalid'

        Raises:
            Nothing.
        """
        if self.ok:
            return f"All {len(self.valid)} rows are valid."
        bad, total = _distinct_keys(self.invalid, self.kind), _distinct_keys(self.valid, self.kind)
        total += bad
        return (
            f"{len(self.invalid)} of {len(self.invalid) + len(self.valid)} rows "
            f"({bad} of {total} {self.kind}) are invalid. "
            f"{len(self.errors)} problems; the first: {self.errors['message'].iloc[0]} "
            "See report.errors for every problem, or send only report.valid."
        )

    def summary(self) -> str:
        """A short text summary: counts of valid/invalid rows and problems per check.

        Example:
            >>> print(validate(pd.DataFrame({"id": ["1"]}), "orders").summary().splitlines()[0])
            orders: 0 valid rows, 1 invalid rows, 5 problems

        Raises:
            Nothing.
        """
        head = f"{self.kind}: {len(self.valid)} valid rows, {len(self.invalid)} invalid rows, {len(self.errors)} problems"
        lines = [f"  {check}: {n}" for check, n in self.counts().items()]
        return "\n".join([head, *lines])

    def __repr__(self) -> str:
        return f"<ValidationReport {self.summary()}>"

    def _repr_html_(self) -> str:
        head = html.escape(self.summary().splitlines()[0])
        if self.ok:
            return f"<p><b>Validation passed</b> — {head}</p>"
        shown = self.errors.head(50)
        more = (
            f"<p>… and {len(self.errors) - 50} more in <code>report.errors</code></p>"
            if len(self.errors) > 50
            else ""
        )
        return (
            f"<p><b>Validation failed</b> — {head}</p>{shown.to_html(index=False, na_rep='')}{more}"
        )


def _distinct_keys(frame: pd.DataFrame, kind: str) -> int:
    """How many orders (distinct keys) a frame holds; value codes survive unhashable ids."""
    key = record_key(kind)
    if key not in frame:
        return 0
    codes = checks.value_codes(frame[key])
    return int(np.unique(codes[codes >= 0]).size)


def _pa_check(rule: checks.Rule) -> pa.Check:
    return pa.Check(rule.test, name=rule.name, ignore_na=rule.name != "required", error=rule.name)


def schema(kind: str, present: list[str] | None = None) -> pa.DataFrameSchema:
    """The pandera schema for one kind; optional fields are checked only when present.

    Example:
        >>> sorted(schema("orders").columns)[:3]
        ['ccHash', 'channel', 'couponCode']

    Raises:
        ValueError: kind is not 'orders' or 'returns'.
    """
    fields = (*header_fields(kind), *line_fields(kind))
    mandatory = set(mandatory_fields(kind))
    columns = {}
    for field in fields:
        rules = ([checks.REQUIRED] if field in mandatory else []) + checks.rules_for(field)
        columns[field] = pa.Column(
            checks=[_pa_check(r) for r in rules],
            nullable=True,
            required=field in mandatory,
            name=field,
        )
    return pa.DataFrameSchema(columns, strict=False, ordered=False)


def validate(df: pd.DataFrame, kind: str) -> ValidationReport:
    """Check every row of a long frame; never raises for bad rows, reports them.

    Example:
        >>> df = pd.DataFrame({"id": ["1"], "userId": ["u"], "dateTime": ["2022-04-25T12:21:55+09:00"],
        ...                    "productId": ["p"], "quantity": [0], "unitPrice": [1.5]})
        >>> report = validate(df, "orders")
        >>> report.ok, report.errors["check"].tolist()
        (False, ['positive_integer'])

    Raises:
        ValueError: kind is not 'orders' or 'returns'.
        TypeError: df is not a DataFrame.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"validate expects a pandas DataFrame, not {type(df).__name__}")
    key = record_key(kind)
    frame = _plain(df.reset_index(drop=True))  # failure cases carry positions, whatever the index
    problems = _column_problems(frame, kind)
    # A value already reported (e.g. an empty userId) is not reported again as a disagreement.
    reported = {(pos, column) for pos, column, *_ in problems}
    problems += [p for p in _cross_row_problems(frame, kind, df.index) if p[:2] not in reported]
    errors = _error_frame(problems, df, frame, kind)
    bad_rows = _invalid_rows(problems, frame, key)
    if not bad_rows.any():  # a shallow copy is safe under copy-on-write and saves copying every row
        return ValidationReport(kind, errors, df.copy(deep=False), df.iloc[:0])
    return ValidationReport(kind, errors, df[~bad_rows], df[bad_rows])


Problem = tuple[int | None, str, str, Any, str]  # position, column, check, value, message body


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain values: the rules read values, and pandas fails to
    hash some categories (tuples), deep inside pandera."""
    categorical = [c for c, t in frame.dtypes.items() if isinstance(t, pd.CategoricalDtype)]
    if not categorical:
        return frame
    frame = frame.copy(deep=False)
    for column in categorical:
        frame[column] = frame[column].astype(object)
    return frame


def _column_problems(frame: pd.DataFrame, kind: str) -> list[Problem]:
    try:
        schema(kind).validate(frame, lazy=True)
    except SchemaErrors as exc:
        return _translate(exc.failure_cases, kind)
    return []


def _translate(cases: pd.DataFrame, kind: str) -> list[Problem]:
    out: list[Problem] = []
    for case in cases.to_dict("records"):
        if case["check"] == "column_in_dataframe":
            field = str(case["failure_case"])
            out.append((None, field, "column_present", None, checks.missing_column(field, kind)))
            continue
        rule = checks.RULES[str(case["check"])]
        if pd.isna(case["index"]):  # the check itself raised: hold back the whole column
            out.append((None, str(case["column"]), rule.name, None, _unchecked(case)))
            continue
        value = rule.shown(checks.plain(case["failure_case"]))
        out.append(
            (
                int(case["index"]),
                str(case["column"]),
                rule.name,
                value,
                rule.explain(str(case["column"]), value),
            )
        )
    return out


def _unchecked(case: dict[Any, Any]) -> str:
    return (
        f"{case['column']} could not be checked ({str(case['failure_case'])[:200]}), so no row "
        "is sent; convert the column to text or numbers, or report this to the omninb maintainers."
    )


def _cross_row_problems(frame: pd.DataFrame, kind: str, labels: pd.Index) -> list[Problem]:
    key = record_key(kind)
    if key not in frame.columns or frame.empty:
        return []
    groups = checks.value_codes(frame[key])  # an unhashable id (a dict, a list) must not raise
    continues = _continues_group(groups)
    first: np.ndarray | None = None  # computed only if some column needs the full check
    out: list[Problem] = []
    for field in header_fields(kind):
        if field == key or field not in frame.columns:
            continue
        values = parse_datetimes(frame[field]) if field == "dateTime" else frame[field]
        if continues is not None and _agrees_with_previous(values, continues):
            continue
        first = _first_row_of_group(groups) if first is None else first
        codes = checks.value_codes(values)
        differs = np.flatnonzero((groups >= 0) & (codes != codes[np.maximum(first, 0)]))
        out.extend(
            _disagreement(frame, field, int(p), int(first[p]), labels, kind) for p in differs
        )
    return out


def _continues_group(groups: np.ndarray) -> np.ndarray | None:
    """When every order's rows are adjacent (the usual export): for each row but the
    first, whether it continues the previous row's order. None when they are not."""
    runs = 1 + int(np.count_nonzero(groups[1:] != groups[:-1]))
    distinct = int(groups.max(initial=-1)) + 1 + int((groups < 0).any())
    if runs != distinct:
        return None
    return (groups[1:] == groups[:-1]) & (groups[1:] >= 0)


def _agrees_with_previous(values: pd.Series, continues: np.ndarray) -> bool:
    """Whether each row continuing an order holds its previous row's value (missing
    equals missing, as in ``checks.value_codes``): then all agree with the first row.

    A shortcut with no hashing; False (check in full) when the column cannot be
    compared vectorised (objects such as lists of segments).
    """
    if values.dtype == object or len(values) < 2:
        return len(values) < 2
    array = values.array
    try:
        equal = array[1:] == array[:-1]
    except (TypeError, ValueError):  # e.g. a categorical whose categories hold tuples
        return False
    same = (
        equal.to_numpy(dtype=bool, na_value=False)
        if isinstance(equal, pd.api.extensions.ExtensionArray)
        else np.asarray(equal, dtype=bool)
    )
    missing = values.isna().to_numpy()
    same |= missing[1:] & missing[:-1]
    return bool(same[continues].all())


def _first_row_of_group(groups: np.ndarray) -> np.ndarray:
    """For each row, the position of its group's first row (-1 for rows without a key)."""
    # At least one slot, so rows without a key (all -1) still index something.
    firsts = np.full(max(int(groups.max(initial=-1)) + 1, 1), -1, dtype=np.intp)
    present = np.flatnonzero(groups >= 0)
    unique, where = np.unique(groups[present], return_index=True)
    firsts[unique] = present[where]
    return np.where(groups >= 0, firsts[np.maximum(groups, 0)], -1)


def _disagreement(
    frame: pd.DataFrame, field: str, pos: int, first: int, labels: pd.Index, kind: str
) -> Problem:
    value, expected = checks.plain(frame[field].iloc[pos]), checks.plain(frame[field].iloc[first])
    body = checks.disagreement(field, value, expected, first_row=labels[first], kind=kind)
    return (pos, field, "order_fields_agree", value, body)


def _label(df: pd.DataFrame, pos: int | None) -> Any:
    return None if pos is None else df.index[pos]


def _error_frame(
    problems: list[Problem], df: pd.DataFrame, frame: pd.DataFrame, kind: str
) -> pd.DataFrame:
    key = record_key(kind)
    keys = frame[key] if key in frame.columns else None
    rows = []
    rank = {f: n for n, f in enumerate((*header_fields(kind), *line_fields(kind)))}
    for pos, column, check, value, body in sorted(problems, key=lambda p: _problem_order(p, rank)):
        label = _label(df, pos)
        order_id = None if keys is None or pos is None else checks.id_text(keys.iloc[pos])
        where = checks.where(label, order_id, kind, column)
        rows.append((label, order_id, column, check, value, f"{where}: {body}"))
    return pd.DataFrame(rows, columns=list(ERROR_COLUMNS))


def _problem_order(problem: Problem, rank: dict[str, int]) -> tuple[int, int, str]:
    """Missing columns first, then by row, then in the reference's field order."""
    return (-1 if problem[0] is None else problem[0], rank.get(problem[1], len(rank)), problem[2])


def _invalid_rows(problems: list[Problem], frame: pd.DataFrame, key: str) -> np.ndarray:
    bad = np.zeros(len(frame), dtype=bool)
    if any(pos is None for pos, *_ in problems):
        bad[:] = True  # a mandatory column is missing: no order can be sent
        return bad
    positions = np.array([pos for pos, *_ in problems], dtype=np.intp)
    bad[positions] = True
    if key in frame.columns and len(positions):
        groups = checks.value_codes(frame[key])
        bad_groups = np.unique(groups[positions])
        bad |= np.isin(groups, bad_groups[bad_groups >= 0])
    return bad
