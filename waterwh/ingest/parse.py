"""Stage 2 of loading a batch: type every cell and say what is wrong with it, in one SQL pass.

Each column's effective text (`m_<col>`) becomes its typed value (amounts in 万元, percentages as
fractions, enum words as codes) and, where it cannot, a problem naming the header, the value and
what was expected (`i_<col>`). Columns whose cells are all plain (empty, a finite number, an enum
word as written) are typed without the parsers; text columns never pass through DuckDB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waterwh.ingest.batch import NUMERIC, BatchState, morsels, quoted, sql_str
from waterwh.ingest.cells import (
    nothing,
    one_array,
    only_bytes,
)
from waterwh.ingest.layout import MappedColumn, quantity_factor
from waterwh.ingest.spec import Check, ColumnSpec
from waterwh.ingest.sql_parsers import CELL_UNIT, NULL_TOKENS
from waterwh.ingest.text import compact
from waterwh.ingest.units import MONEY_TO_WAN

BOOL_WORDS: dict[str, object] = {"是": True, "否": False, "√": True, "×": False, "Y": True, "N": False,
                                 "已立案": True, "未立案": False, "已结案": True, "未结案": False}

NUMBER_BYTES = b"0123456789.+-eE"  # all a plain number's cells may hold (DuckDB reads a few more: 1_000)


@dataclass
class ParseSql:
    """Stage 2's expressions, by the query layer they are computed in (a layer reads the ones below)."""

    pre: dict[str, str] = field(default_factory=dict)  # quoted name -> per-cell fact several expressions need
    empty: set[str] = field(default_factory=set)  # columns whose `z_<col>` (cell means nothing) is read
    values: list[str] = field(default_factory=list)  # typed value(s) of each column
    derived: list[str] = field(default_factory=list)  # from a typed value: qualifier, unparsed text
    issues: list[tuple[str, str]] = field(default_factory=list)  # (issue text or NULL, column; '!': rejects)


class ParseStage(BatchState):
    """The SQL and Arrow that type the cells of the batch (`parse_exprs`, `arrow_values`)."""

    typed_plain = True  # columns of plain cells skip the parsers (plain_columns); tests turn it off
    as_read: dict[str, pa.Array]  # plain columns as Arrow read them: numbers, words' positions (plain_columns)

    def _gated(self) -> list[MappedColumn]:
        """Columns that may turn out plain: numeric, enum and bool ones that are not required
        (a required column is always parsed, for its check) and no row rule reads as an enum."""
        checked = {c for k in self._checks() for c in k.columns}
        return [m for m in self.layout.columns if not m.spec.not_null and (m.spec.type in NUMERIC or (
                m.spec.type in ("enum", "bool") and self._enum_words(m.spec) and m.spec.name not in checked))]

    def plain_sql(self, m: MappedColumn) -> str:
        """Whether every cell of numeric column `m` is empty or a finite number (the `isfinite(d)`
        branch every numeric parser starts with) its column's type holds (a value beyond it is NULL
        and a problem of the cell: the parsers say so), over `plain_src`. `_plain_numbers` is the
        same test on numbers Arrow read."""
        c = m.spec
        d = f"try_cast(n_{c.name} AS DOUBLE)"
        factor, limit = _limit(m)
        fits = "TRUE" if math.isinf(limit) else f"abs({d} * {factor}) < {limit}"
        if c.min is not None:  # a value below it is a problem of the cell
            fits += f" AND {d} * {factor} >= {c.min}"
        return f"bool_and(coalesce(n_{c.name} IS NULL OR (isfinite({d}) AND {fits}), FALSE))"

    def plain_columns(self, stage1: pa.Table) -> tuple[set[str], dict[str, pa.Array]]:
        """Columns in which every cell of the batch is plain: empty, a finite number, an enum word
        exactly as written. Stage 2 types them without the parsers, and none of their cells can
        have a problem. Read off stage 1's rows (every row of the batch: a superset of those stage 2
        parses, carried-down cells included): the parsers, derived columns and checks this spares
        cost ~7 ms a column, and a sixth of stage 2's planning for the numeric ones.

        A numeric column with a byte no number has (约, 万, a comma) is not plain. The others are
        read as numbers by Arrow (~2 ms a column): what Arrow reads, DuckDB's cast reads as the same
        number (tests/test_cells.py), so stage 2 types these numbers (`d_<col>`) instead of reading
        the text again. A column Arrow cannot read whole ("1_000", which DuckDB reads) is asked of
        DuckDB (~4 ms a column). Returned with the plain columns: by name, what was read (numbers;
        for an enum, the position of each cell's word)."""
        if not self.typed_plain:
            return set(), {}
        plain, ask, read = set(), [], {}
        for m in self._gated():
            c, n = m.spec, one_array(stage1.column("n_" + m.spec.name))
            if c.type not in NUMERIC:
                found = pc.index_in(n, value_set=pa.array([k for k, _ in self._enum_words(c)], pa.string()))
                if found.null_count == n.null_count:  # every word one of the column's
                    plain.add(c.name)
                    read[c.name] = found
            elif only_bytes(n, NUMBER_BYTES):
                try:
                    numbers = pc.cast(n, pa.float64())
                except pa.ArrowInvalid:
                    ask.append(m)
                    continue
                if _plain_numbers(numbers, *_limit(m), m.spec.min):
                    plain.add(c.name)
                    read[c.name] = numbers
        if ask:
            self.con.register("plain_src", morsels(stage1.select(["n_" + m.spec.name for m in ask])))
            [tests] = self.con.sql(f"SELECT {', '.join(self.plain_sql(m) for m in ask)} FROM plain_src").fetchall()
            plain |= {m.spec.name for m, ok in zip(ask, tests, strict=True) if ok is not False}
        return plain, read

    def _plain_value(self, m: MappedColumn) -> str:
        """The value stage 2's parser gives a plain cell of numeric column `m` (see `plain_columns`;
        enum columns of plain cells are typed in Arrow), from the number Arrow read (`d_<col>`) or
        else DuckDB's."""
        c, n = m.spec, quoted("m_" + m.spec.name)
        d = quoted("d_" + c.name) if c.name in self.as_read else f"try_cast({n} AS DOUBLE)"
        if c.type == "amount":
            return f"TRY_CAST({_round(f'{d} * {_factor(m)}', 4)} AS DECIMAL(18,4))"
        if c.type == "decimal":
            return f"{d} * {_factor(m)}"
        if c.type == "int":
            return f"TRY_CAST(round({d} * {_factor(m)}) AS BIGINT)"
        if c.type == "pct":
            is_pct = _is_pct(m)
            fraction = f"CASE WHEN {is_pct} AND {d} > 1 THEN {d} / 100 WHEN {d} > 1.5 THEN {d} / 100 ELSE {d} END"
            return f"TRY_CAST({_round(fraction, 6)} AS DECIMAL(9,6))"
        raise ValueError(f"no plain value for column {c.name} of type {c.type}")

    def parse_exprs(self, plain: set[str] = frozenset()) -> ParseSql:
        """The SQL of stage 2, from each column's effective text `m_<col>`.

        What several expressions of a cell need is computed once per cell in `pre` (each reference
        to a macro is evaluated anew): the cell as a plain number (`d_`, NULL unless it is one: most
        numeric cells are, and skip every regex), the text without spaces for enums (`e_`). Whether
        the text means "nothing" (`z_`) comes with the input (`arrow_values`). Columns in `plain`
        hold only plain cells (`plain_columns`): typed directly, no derived columns, no checks.
        Columns `in_arrow` are not here at all."""
        sql = ParseSql()

        def pre(prefix: str, name: str, expr: str) -> str:
            col = quoted(prefix + name)
            sql.pre.setdefault(col, expr)
            return col

        in_arrow = self.in_arrow(plain)
        for m in self.layout.columns:
            c = m.spec
            n = quoted("m_" + c.name)
            col = quoted(c.name)
            if c.name in in_arrow:
                continue
            if c.name in plain:
                sql.values.append(f"{self._plain_value(m)} AS {col}")
                continue
            header = m.header.replace("_", " ")
            bad = f"'「{header}」' || "
            sql.empty.add(c.name)
            given = f"NOT {quoted('z_' + c.name)}"
            # the cell as a double, for the *_of parsers (NULL unless a plain number)
            d = pre("d_", c.name, f"try_cast({n} AS DOUBLE)") if c.type in NUMERIC else "NULL::DOUBLE"
            if c.type == "amount":
                factor = _factor(m)
                wan = f"TRY_CAST({_round(f'wh_to_wan_of({n}, {d}, {factor})', 4)} AS DECIMAL(18,4))"
                read = col  # what the cell reads as: the value, or before `min` (read once) the number
                if c.min is not None:
                    read = wan = pre("w_", c.name, wan)
                sql.values.append(f"{_at_least(wan, c.min)} AS {col}")
                sql.issues.append((
                    f"CASE WHEN {read} IS NULL AND {given} THEN "
                    f"{bad}'应为金额（{m.unit or c.unit or '万元'}），实际为「' || {n} || '」' "
                    f"{_below_min(read, c.min, bad, n)} END",
                    c.name,
                ))
            elif c.type in ("decimal", "int"):
                # "68.05%" in a value column is a percentage: stored as the fraction 0.6805
                val = f"wh_number_of({n}, {d}) * {_factor(m)}"
                if c.type == "decimal":
                    val += f" / CASE WHEN contains({n}, '%') THEN 100 ELSE 1 END"
                if c.type == "int":  # beyond BIGINT: NULL, and a problem of the cell below
                    val = f"TRY_CAST(round({val}) AS BIGINT)"
                read = col
                if c.min is not None:
                    read = val = pre("w_", c.name, val)
                sql.values.append(f"{_at_least(val, c.min)} AS {col}")
                if not c.qualified:
                    sql.issues.append((
                        f"CASE WHEN {read} IS NULL AND {given} THEN {bad}'应为数字，实际为「' || {n} || '」' "
                        f"{_below_min(read, c.min, bad, n)} END",
                        c.name,
                    ))
                elif c.min is not None:
                    sql.issues.append((f"CASE {_below_min(read, c.min, bad, n)} END", c.name))
            elif c.type == "pct":
                is_pct = _is_pct(m)
                sql.values.append(f"TRY_CAST({_round(f'wh_pct_of({n}, {d}, {is_pct})', 6)} AS DECIMAL(9,6)) AS {col}")
                if not c.qualified:
                    sql.issues.append((
                        f"CASE WHEN {col} IS NULL AND {given} THEN {bad}'应为百分比，实际为「' || {n} || '」' END",
                        c.name,
                    ))
            elif c.type == "date":
                sql.values.append(f"wh_date({n}, __year) AS {col}")
                sql.issues.append((
                    f"CASE WHEN {col} IS NULL AND {given} THEN "
                    f"{bad}'应为日期（如2025-04-08），实际为「' || {n} || '」' END",
                    c.name,
                ))
            elif c.type in ("enum", "bool"):
                values = self._enum_values(c)
                e = pre("e_", c.name, f"replace({n}, ' ', '')")
                sql.values.append(f"{self._enum_case(e, self._enum_words(c), c.type)} AS {col}")
                expected = "、".join(list(values)[:8])
                sql.issues.append((
                    f"CASE WHEN {col} IS NULL AND {given} THEN "
                    f"{bad}'无法识别的取值「' || {n} || '」（可填：{expected}…）' END",
                    c.name,
                ))
            elif c.type == "rank":
                sql.values.append(f"wh_rank({n}) AS {col}")
                sql.values.append(f"wh_rank_of({n}) AS {quoted(c.name + '_of')}")
            elif c.type == "period":
                sql.values.append(f"{n} AS {quoted(c.name + '_label')}")
            else:
                raise ValueError(f"no SQL for column {c.name} of type {c.type}")
            if c.qualified:
                sql.derived.append(
                    f"CASE WHEN {col} IS NOT NULL THEN wh_qualifier_of({n}, {d}) END "
                    f"AS {quoted(c.name + '_qualifier')}")
                sql.derived.append(f"CASE WHEN {col} IS NULL AND {given} THEN {n} END AS {quoted(c.name + '_text')}")
        if self.spec.columns:
            sql.issues = [self._required(e, name) for e, name in sql.issues]
            have = {name for _, name in sql.issues}
            sql.empty |= {name[1:] for name in have if name.startswith("!")}
            for m in self.layout.columns:
                if m.spec.not_null and "!" + m.spec.name not in have:
                    sql.empty.add(m.spec.name)
                    header = m.header.replace("_", " ")
                    sql.issues.append((
                        f"CASE WHEN {quoted('z_' + m.spec.name)} THEN '「{header}」为必填项，不能为空' END",
                        "!" + m.spec.name,
                    ))
        for i, k in enumerate(self._checks()):  # rules over a row's values: the row is quarantined
            sql.issues.append((f"CASE WHEN {k.when} THEN {k.reason_sql()} END", f"!{k.columns[0]}#{i}"))
        return sql

    def _checks(self) -> list[Check]:
        """The spec's row rules this sheet has every column of."""
        mapped = {m.spec.name for m in self.layout.columns}
        return [k for k in self.spec.checks if set(k.columns) <= mapped]

    def in_arrow(self, plain: set[str]) -> set[str]:
        """Columns whose values need no SQL: text ('—', '/' and the like mean "nothing", not the
        text "—") and enum or bool columns of plain cells. Typed in Arrow (`arrow_values`), they
        never pass through DuckDB: a string that does is copied in and out (~3 ms a column)."""
        checked = {c for k in self._checks() for c in k.columns}  # a row rule reads them in SQL
        return {m.spec.name for m in self.layout.columns if m.spec.name not in checked and (
                (m.spec.type == "text" and not m.spec.qualified)
                or (m.spec.name in plain and m.spec.type in ("enum", "bool")))}

    def arrow_values(self, rows: pa.Table, plain: set[str], empty: set[str]) -> tuple[pa.Table, dict[str, pa.Array]]:
        """Stage 2's input (`rows` with `z_<col>` for the columns in `empty`, without the text of
        columns SQL does not read) and the values of the columns `in_arrow`."""
        in_arrow, values = self.in_arrow(plain), {}
        # the texts a unit column falls back to, before stage 2's input drops them
        written = {s: rows.column("m_" + s) for m in self.layout.columns for s in m.spec.from_cells
                   if "m_" + s in rows.column_names}
        for m in self.layout.columns:
            c, text = m.spec, rows.column("m_" + m.spec.name)
            if c.name in empty or (c.name in in_arrow and c.type == "text"):
                z = pa.array(nothing(one_array(text), NULL_TOKENS))
                if c.name in empty:
                    rows = rows.append_column("z_" + c.name, z)
            if c.name in self.as_read and c.type in NUMERIC:  # stage 2 reads the number (`d_<col>`)
                rows = rows.drop_columns(["m_" + c.name])
            if c.name not in in_arrow:
                continue
            if c.type == "text":
                values[c.name] = pc.if_else(z, pa.scalar(None, text.type), text)
                for source in (s for s in c.from_cells if s in written):
                    found = pc.struct_field(pc.extract_regex(written[source], CELL_UNIT), "unit")
                    values[c.name] = pc.coalesce(values[c.name], found)
            else:  # the words of a plain column, as written
                lit = pa.array([_word_value(v, c.type) for _, v in self._enum_words(c)],
                               pa.bool_() if c.type == "bool" else pa.string())
                values[c.name] = lit.take(rows.column("x_" + c.name))  # the word's position (plain_columns)
                rows = rows.drop_columns(["x_" + c.name])
            rows = rows.drop_columns(["m_" + c.name])
        return rows, values

    def _required(self, expr: str, name: str) -> tuple[str, str]:
        """A parse problem in a required column rejects the whole row; say so in the same entry."""
        m = self.layout.mapped(name)
        if m is None or not m.spec.not_null:
            return expr, name
        header = m.header.replace("_", " ")
        return (
            f"coalesce({expr}, CASE WHEN {quoted('z_' + name)} THEN '「{header}」为必填项，不能为空' END)",
            "!" + name,
        )

    @staticmethod
    def _enum_values(c: ColumnSpec) -> dict[str, object]:
        """Word → value of an enum or bool column, as the spec lists them (bool: yes/no words)."""
        return dict(c.values) or (BOOL_WORDS if c.type == "bool" else {})

    @classmethod
    def _enum_words(cls, c: ColumnSpec) -> list[tuple[str, object]]:
        """(word as compared, value) of an enum or bool column: without spaces, longest first."""
        return sorted(((compact(k), v) for k, v in cls._enum_values(c).items()), key=lambda kv: -len(kv[0]))

    @staticmethod
    def _enum_case(e: str, words: list[tuple[str, object]], kind: str) -> str:
        """`e`: the cell without spaces. Exact words first, then words the cell starts with."""
        def lit(v: object) -> str:
            value = _word_value(v, kind)
            return ("TRUE" if value else "FALSE") if kind == "bool" else sql_str(str(value))

        exact = " ".join(f"WHEN {e} = {sql_str(k)} THEN {lit(val)}" for k, val in words)
        prefix = " ".join(f"WHEN starts_with({e}, {sql_str(k)}) THEN {lit(val)}" for k, val in words)
        return f"CASE {exact} {prefix} END"


def _word_value(v: object, kind: str) -> object:
    """The value an enum word stands for as its raw column holds it (bool: yes or no)."""
    return v in (True, "true", "True", 1) if kind == "bool" else str(v)


def _at_least(value: str, low: float | None) -> str:
    """SQL: the value, or NULL below the column's `min` (the check says why: `_below_min`)."""
    return value if low is None else f"CASE WHEN {value} < {low} THEN NULL ELSE {value} END"


def _below_min(value: str, low: float | None, bad: str, cell: str) -> str:
    """SQL: the WHEN branch of a column's issue for a value below its `min` ('' without one)."""
    if low is None:
        return ""
    words = "不能为负数" if low == 0 else f"不能小于{low:g}"
    return f"WHEN {value} < {low} THEN {bad}'{words}，实际为「' || {cell} || '」'"


def _limit(m: MappedColumn) -> tuple[float, float]:
    """(factor, limit): a number d of numeric column `m` fits its raw column's type when
    |d × factor| < limit (DECIMAL(18,4) in 万元, BIGINT, DECIMAL(9,6) as a fraction: a negative
    percentage is kept as written, so -1000 does not fit; within ±999 every reading of it does)."""
    return {"amount": (_factor(m), 1e14), "int": (_factor(m), 9e18), "pct": (1.0, 999.0)}.get(
        m.spec.type, (_factor(m), math.inf))


def _plain_numbers(numbers: pa.Array, factor: float, limit: float, low: float | None = None) -> bool:
    """Whether every number is NULL or finite and within |d × factor| < limit, and not below the
    column's `low` (`plain_sql`)."""
    d = numbers.to_numpy(zero_copy_only=False)  # NULL → NaN
    ok = np.isfinite(d) & (np.abs(d * factor) < limit)
    if low is not None:
        ok &= d * factor >= low
    if numbers.null_count:
        ok |= ~pc.is_valid(numbers).to_numpy(zero_copy_only=False)
    return bool(ok.all())


def _round(expr: str, digits: int) -> str:
    """SQL: `round(expr, digits)` as DuckDB computes it (std::round(x * 10^d) / 10^d), at a third
    of its cost; it differs only where x * 10^d overflows, which the DECIMAL cast around it makes
    NULL either way."""
    return f"round(({expr}) * {10**digits}) / {10**digits}"


def _is_pct(m: MappedColumn) -> str:
    """SQL TRUE when a percentage column's header says its numbers are points (完成率(%))."""
    return "TRUE" if (m.unit == "%" or "%" in m.header) else "FALSE"


def _factor(m: MappedColumn) -> float:
    """An amount column's unit as a factor to 万元 (the header's unit, else the spec's); a
    quantity's, to the unit its column keeps ("里程（m）": 0.001 to km)."""
    if m.spec.type != "amount":
        return quantity_factor(m)
    return MONEY_TO_WAN.get(m.unit or m.spec.unit or "万元", 1.0)
