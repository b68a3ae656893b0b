"""Load ledger files into the raw layer of a DuckDB file.

Per sheet: layout (Python, first rows) → one SQL pass that normalises, classifies and parses every
row → raw rows, stated totals, quarantine. Per file: one `audit.file_loads` row whose counts
reconcile (rows_read = rows_loaded + rows_quarantined + rows_skipped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from ingest.layout import Layout
from ingest.periods import Period, parse_period
from ingest.readers import Sheet
from ingest.spec import LedgerSpec
from ingest.text import compact
from waterwh.config import UNIT_TO_WAN

CORRECTION_WORDS = re.compile(r"更正|修正|修订|更新|重报|v\d+|第[二三四]版", re.IGNORECASE)
FOOTNOTE = r"^(注|说明|备注[:：]|填报人|填表人|审核人|制表人|填报单位|联系人|负责人|单位负责人)"
CN_NUMERAL_SEQ = r"^[(]?[一二三四五六七八九十]+[)、.]?$"
BOOL_WORDS: dict[str, object] = {"是": True, "否": False, "√": True, "×": False, "Y": True, "N": False,
                                 "已立案": True, "未立案": False, "已结案": True, "未结案": False}


@dataclass
class SheetResult:
    sheet: str
    ledger_type: str | None
    ledger_scope: str | None
    period: Period | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0
    rows_subtotal: int = 0
    cell_issues: int = 0
    error: str | None = None
    # A sheet that is not a ledger at all (填表说明) in a workbook that has one: skipped, said so.
    note: str | None = None
    ledger_key: str | None = None
    recognised: list[tuple[str, str, str | None]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


@dataclass
class FileResult:
    path: Path
    file_name: str
    sha256: str
    load_id: str
    status: str  # loaded, partial, failed, unchanged
    sheets: list[SheetResult] = field(default_factory=list)
    error: str | None = None
    loaded_at: datetime | None = None
    broken: bool = False  # an unexpected fault while loading: nothing of the file may stay loaded

    def total(self, attr: str) -> int:
        return sum(getattr(s, attr) for s in self.sheets)

    @property
    def ledger_type(self) -> str | None:
        types = {s.ledger_type for s in self.sheets if s.ledger_type}
        return types.pop() if len(types) == 1 else ("mixed" if types else None)

    @property
    def period_end(self) -> date | None:
        ends = [s.period.end for s in self.sheets if s.period]
        return max(ends) if ends else None

    @property
    def scope(self) -> str | None:
        scopes = [s.ledger_scope for s in self.sheets if s.ledger_scope]
        return scopes[0] if scopes else None


def _sql_str(s: str | None) -> str:
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Pending:
    """A sheet read and recognised, waiting to be loaded with others of the same layout."""

    sheet: Sheet
    layout: Layout
    result: SheetResult
    file: FileResult
    meta: dict[str, object]  # lineage and context: load_id, file_name, sha256, loaded_at, year


def signature(layout: Layout) -> tuple:
    """Sheets whose layouts give the same SQL are loaded together: same spec, same column mapping,
    units and header words (repeated-header detection). Positions of header rows may differ."""
    return (
        layout.spec.ledger_type,
        tuple(
            (m.index, m.spec.name, compact(m.header.split("_")[-1]), m.unit, "%" in m.header,
             tuple(sorted(m.sets.items())))
            for m in layout.columns
        ),
    )


META_COLUMNS = [
    ("__sheet", pa.int32()), ("__start", pa.int32()), ("__year", pa.int32()), ("load_id", pa.string()),
    ("ledger_key", pa.string()), ("source_file", pa.string()), ("source_sheet", pa.string()),
    ("file_sha256", pa.string()), ("loaded_at", pa.timestamp("s")), ("ledger_scope", pa.string()),
    ("report_period_start", pa.date32()), ("report_period_end", pa.date32()), ("period_type", pa.string()),
]


class BatchLoader:
    """Builds and runs the SQL that turns sheets of one layout into raw rows, in one pass.

    Planning the parse SQL costs ~0.1 s whatever the rows; a province sends ~12,000 small ledgers
    a night, so sheets of the same layout share one plan. Every window is partitioned by sheet.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, items: list[Pending]):
        self.con = con
        self.items = items
        self.layout = items[0].layout  # all items share its signature
        self.spec: LedgerSpec = self.layout.spec

    # ---- stage 1: normalise and classify rows -------------------------------------------
    def classify_sql(self, width: int) -> str:
        L, spec = self.layout, self.spec
        # Blank and footnote detection look at every cell, so they use cheap trims, not wh_norm.
        # (trim() with a character set costs ~4x a regex that fails on the first character)
        cells = [
            f"CASE WHEN NOT regexp_full_match(coalesce(c{i}, ''), '[\\s\u3000\u00a0\u2003]*') THEN ltrim(c{i}) END"
            for i in range(width)
        ]
        numeric = ("amount", "decimal", "int", "pct")
        cols = [
            f"{'wh_norm_num' if m.spec.type in numeric else 'wh_norm'}(c{m.index}) AS {_q('n_' + m.spec.name)}"
            for m in L.columns
        ]
        cols += [f"c{m.index} AS {_q('r_' + m.spec.name)}" for m in L.columns]
        blank = " AND ".join(f"{c} IS NULL" for c in cells) or "TRUE"
        first = f"coalesce({', '.join(cells)})" if cells else "NULL"
        labels = [m for m in L.columns if m.spec.name in spec.label_columns]
        label_text = " || ' ' || ".join(f"coalesce(n_{m.spec.name}, '')" for m in labels) or "''"
        header_hits = " + ".join(
            f"(CASE WHEN replace(coalesce(n_{m.spec.name}, ''), ' ', '') = "
            f"{_sql_str(compact(m.header.split('_')[-1]))} THEN 1 ELSE 0 END)"
            for m in L.columns
        ) or "0"
        group = "FALSE"
        g = spec.group_row
        if g and L.mapped(g["label"]):
            empty_col = g["when_empty"]
            if L.mapped(empty_col):
                empty_test = (
                    f"(n_{empty_col} IS NULL OR regexp_full_match(n_{empty_col}, '{CN_NUMERAL_SEQ}'))"
                )
            else:
                empty_test = "FALSE"
            group = f"(n_{g['label']} IS NOT NULL AND {empty_test})"
        return f"""
        WITH cells AS MATERIALIZED (
            SELECT __sheet, __row, meta.__year, {", ".join(cols)}, ({blank}) AS is_blank, {first} AS first_cell
            FROM batch_src JOIN batch_meta AS meta USING (__sheet) WHERE __row > meta.__start
        ), base AS (
            -- rows after a sheet's last non-empty one are padding, not part of the ledger
            SELECT * FROM cells
            QUALIFY __row <= max(CASE WHEN NOT is_blank THEN __row END) OVER (PARTITION BY __sheet)
        ), marked AS (
            SELECT *, {label_text} AS label_text,
                max(CASE WHEN regexp_matches(coalesce(first_cell, ''), '{FOOTNOTE}') THEN 1 ELSE 0 END)
                    OVER (PARTITION BY __sheet ORDER BY __row ROWS UNBOUNDED PRECEDING) AS after_footnote,
                ({header_hits}) AS header_hits
            FROM base
        )
        SELECT *, CASE
            WHEN is_blank THEN 'blank'
            WHEN after_footnote = 1 THEN 'footnote'
            WHEN header_hits >= 2 THEN 'header'
            WHEN regexp_matches(label_text, '合\\s*计|总\\s*计') THEN 'total'
            WHEN regexp_matches(label_text, '小\\s*计') THEN 'subtotal'
            WHEN regexp_matches(label_text, '^\\s*其中') THEN 'breakdown'
            WHEN {group} THEN 'group'
            ELSE 'data' END AS row_kind
        FROM marked
        """

    # ---- stage 2: typed values, issues --------------------------------------------------
    def parse_exprs(self) -> tuple[list[str], list[str], list[tuple[str, str]]]:
        """(inputs, values, issues): the effective input text of each column (`m_<col>`, after
        fill-down and group labels), its typed value(s), and (issue_expr, column) pairs.

        Issues read the typed value already computed, so each cell is parsed once.
        """
        inputs: list[str] = []
        exprs: list[str] = []
        issues: list[tuple[str, str]] = []
        group_target = self.spec.group_target
        for m in self.layout.columns:
            c = m.spec
            n = _q("n_" + c.name)
            if c.name in self.spec.fill_down:
                n = (f"coalesce({n}, last_value({n} IGNORE NULLS) "
                     "OVER (PARTITION BY __sheet ORDER BY __row ROWS UNBOUNDED PRECEDING))")
            if c.name == group_target:
                n = f"coalesce({n}, __group_label)"
            inputs.append(f"{n} AS {_q('m_' + c.name)}")
            n = _q("m_" + c.name)
            col = _q(c.name)
            header = m.header.replace("_", " ")
            bad = f"'「{header}」' || "
            given = f"NOT wh_is_null_token({n})"
            if c.type == "amount":
                factor = UNIT_TO_WAN.get(m.unit or c.unit or "万元", 1.0)
                exprs.append(f"CAST(round(wh_to_wan({n}, {factor}), 4) AS DECIMAL(18,4)) AS {col}")
                issues.append((
                    f"CASE WHEN {col} IS NULL AND {given} THEN "
                    f"{bad}'应为金额（{m.unit or c.unit or '万元'}），实际为「' || {n} || '」' END",
                    c.name,
                ))
            elif c.type in ("decimal", "int"):
                # "68.05%" in a value column is a percentage: stored as the fraction 0.6805
                val = f"wh_number({n})"
                if c.type == "decimal":
                    val += f" / CASE WHEN contains({n}, '%') THEN 100 ELSE 1 END"
                exprs.append(f"CAST(round({val}) AS BIGINT) AS {col}" if c.type == "int" else f"{val} AS {col}")
                if not c.qualified:
                    issues.append((
                        f"CASE WHEN {col} IS NULL AND {given} THEN {bad}'应为数字，实际为「' || {n} || '」' END",
                        c.name,
                    ))
            elif c.type == "pct":
                is_pct = "TRUE" if (m.unit == "%" or "%" in m.header) else "FALSE"
                exprs.append(f"CAST(round(wh_pct({n}, {is_pct}), 6) AS DECIMAL(9,6)) AS {col}")
                if not c.qualified:
                    issues.append((
                        f"CASE WHEN {col} IS NULL AND {given} THEN {bad}'应为百分比，实际为「' || {n} || '」' END",
                        c.name,
                    ))
            elif c.type == "date":
                exprs.append(f"wh_date({n}, __year) AS {col}")
                issues.append((
                    f"CASE WHEN {col} IS NULL AND {given} THEN "
                    f"{bad}'应为日期（如2025-04-08），实际为「' || {n} || '」' END",
                    c.name,
                ))
            elif c.type in ("enum", "bool"):
                values = dict(c.values) or (BOOL_WORDS if c.type == "bool" else {})
                exprs.append(f"{self._enum_case(n, values, c.type)} AS {col}")
                expected = "、".join(list(values)[:8])
                issues.append((
                    f"CASE WHEN {col} IS NULL AND {given} THEN "
                    f"{bad}'无法识别的取值「' || {n} || '」（可填：{expected}…）' END",
                    c.name,
                ))
            elif c.type == "rank":
                exprs.append(f"wh_rank({n}) AS {col}")
                exprs.append(f"wh_rank_of({n}) AS {_q(c.name + '_of')}")
            elif c.type == "period":
                exprs.append(f"{n} AS {_q(c.name + '_label')}")
            else:  # text: '—', '/' and the like mean "nothing", not the text "—"
                exprs.append(f"CASE WHEN NOT wh_is_null_token({n}) THEN {n} END AS {col}")
            if c.qualified:
                exprs.append(f"CASE WHEN {col} IS NOT NULL THEN wh_qualifier({n}) END AS {_q(c.name + '_qualifier')}")
                exprs.append(f"CASE WHEN {col} IS NULL AND {given} THEN {n} END AS {_q(c.name + '_text')}")
        if self.spec.columns:
            issues = [self._required(i, e, name) for i, (e, name) in enumerate(issues)]
            have = {name for _, name in issues}
            for m in self.layout.columns:
                if m.spec.not_null and "!" + m.spec.name not in have:
                    n, header = _q("m_" + m.spec.name), m.header.replace("_", " ")
                    issues.append((
                        f"CASE WHEN wh_is_null_token({n}) THEN '「{header}」为必填项，不能为空' END",
                        "!" + m.spec.name,
                    ))
        return inputs, exprs, issues

    def _required(self, _i: int, expr: str, name: str) -> tuple[str, str]:
        """A parse problem in a required column rejects the whole row; say so in the same entry."""
        m = self.layout.mapped(name)
        if m is None or not m.spec.not_null:
            return expr, name
        n, header = _q("m_" + name), m.header.replace("_", " ")
        return (
            f"coalesce({expr}, CASE WHEN wh_is_null_token({n}) THEN '「{header}」为必填项，不能为空' END)",
            "!" + name,
        )

    @staticmethod
    def _enum_case(n: str, values: dict[str, object], kind: str) -> str:
        def lit(v: object) -> str:
            if kind == "bool":
                return "TRUE" if v in (True, "true", "True", 1) else "FALSE"
            return _sql_str(str(v))

        keys = sorted(((compact(k), v) for k, v in values.items()), key=lambda kv: -len(kv[0]))
        v = f"replace({n}, ' ', '')"
        exact = " ".join(f"WHEN {v} = {_sql_str(k)} THEN {lit(val)}" for k, val in keys)
        prefix = " ".join(f"WHEN starts_with({v}, {_sql_str(k)}) THEN {lit(val)}" for k, val in keys)
        return f"CASE {exact} {prefix} END"

    def run(self) -> None:
        """Load every sheet of the batch; fills each item's SheetResult counts."""
        con = self.con
        width = max(it.sheet.table.num_columns for it in self.items)
        parts = []
        for i, it in enumerate(self.items):
            t = it.sheet.table
            for c in range(t.num_columns, width):  # sheets of one layout may differ in trailing columns
                t = t.append_column(f"c{c}", pa.nulls(t.num_rows, pa.string()))
            t = t.append_column("__row", pa.array(np.arange(1, t.num_rows + 1, dtype=np.int32)))
            parts.append(t.append_column("__sheet", pa.array(np.full(t.num_rows, i, dtype=np.int32))))
        src = pa.concat_tables(parts)
        meta = pa.Table.from_pylist([self._meta_row(it, i) for i, it in enumerate(self.items)],
                                    schema=pa.schema(META_COLUMNS))
        con.register("batch_src", src)
        con.register("batch_meta_src", meta)
        try:
            # a table, not the registered view: later statements join it many times
            con.execute("CREATE OR REPLACE TEMP TABLE batch_meta AS SELECT * FROM batch_meta_src")
            con.execute(f"CREATE OR REPLACE TEMP TABLE sheet_rows AS {self.classify_sql(width)}")
            self._finish()
        finally:
            con.unregister("batch_src")
            con.unregister("batch_meta_src")
            for t in ("sheet_rows", "sheet_parsed", "batch_meta", "spans"):
                con.execute(f"DROP TABLE IF EXISTS {t}")

    @staticmethod
    def _meta_row(it: Pending, i: int) -> dict[str, object]:
        """The META_COLUMNS of one sheet of the batch."""
        r, period = it.result, it.result.period
        return {
            "__sheet": i, "__start": it.layout.header_last + 1, "__year": it.meta["year"],
            "load_id": it.meta["load_id"], "ledger_key": r.ledger_key, "source_file": it.meta["file_name"],
            "source_sheet": r.sheet, "file_sha256": it.meta["sha256"], "loaded_at": it.meta["loaded_at"],
            "ledger_scope": r.ledger_scope, "report_period_start": period.start if period else None,
            "report_period_end": period.end if period else None, "period_type": period.type if period else None,
        }

    def _finish(self) -> None:
        con, L, spec = self.con, self.layout, self.spec
        g = spec.group_row
        group_label = "NULL"
        if g and L.mapped(g["label"]):
            group_label = (
                f"last_value(CASE WHEN row_kind = 'group' THEN regexp_replace(n_{g['label']}, "
                "'^[(]?[一二三四五六七八九十0-9]+[)、.]\\s*', '') END IGNORE NULLS) "
                "OVER (PARTITION BY __sheet ORDER BY __row ROWS UNBOUNDED PRECEDING)"
            )
        inputs, exprs, issues = self.parse_exprs()
        target = spec.group_target
        if target and not L.mapped(target):
            exprs.append(f"__group_label AS {_q(target)}")
        issue_cols = [f"{e} AS {_q('i_' + col)}" for e, col in issues]
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE sheet_parsed AS
            WITH g AS MATERIALIZED (SELECT *, {group_label} AS __group_label FROM sheet_rows
                       WHERE row_kind <> 'blank' AND row_kind <> 'header' AND row_kind <> 'footnote'),
            m AS MATERIALIZED (SELECT __sheet, __row, __year, row_kind, label_text, __group_label,
                                      {", ".join(inputs)} FROM g),
            v AS MATERIALIZED (SELECT *, {", ".join(exprs)} FROM m)
            SELECT * EXCLUDE (__group_label), {", ".join(issue_cols) or "NULL AS i__none"} FROM v
        """)
        reject_cols = [col for _, col in issues if col.startswith("!")]
        reject = " OR ".join(f"{_q('i_' + c)} IS NOT NULL" for c in reject_cols) or "FALSE"
        counts = {sheet: (0, 0, 0, 0) for sheet in range(len(self.items))}
        for sheet, *n in con.execute(f"""
            WITH read AS (SELECT __sheet, count(*) AS n FROM sheet_rows GROUP BY 1),
            parsed AS (
                SELECT __sheet,
                       count(*) FILTER (WHERE row_kind = 'data' AND NOT ({reject})) AS loaded,
                       count(*) FILTER (WHERE row_kind = 'data' AND ({reject})) AS quarantined,
                       count(*) FILTER (WHERE row_kind <> 'data') AS subtotal
                FROM sheet_parsed GROUP BY 1)
            SELECT read.__sheet, read.n, coalesce(loaded, 0), coalesce(quarantined, 0), coalesce(subtotal, 0)
            FROM read LEFT JOIN parsed USING (__sheet)
        """).fetchall():
            counts[sheet] = tuple(n)  # type: ignore[assignment]
        for i, it in enumerate(self.items):
            r = it.result
            r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_subtotal = counts[i]
            r.rows_skipped = r.rows_read - r.rows_loaded - r.rows_quarantined

        raw_cols = [n for n, _ in spec.raw_columns()]
        produced = {r[0] for r in con.execute("DESCRIBE sheet_parsed").fetchall()}
        lineage = {c: f"meta.{c}" for c, _ in META_COLUMNS if not c.startswith("__")} | {"source_row": "p.__row"}
        derived = {k: _sql_str(v) for m in L.columns for k, v in m.sets.items()}
        select = []
        for col in raw_cols:
            if col in lineage:
                select.append(lineage[col])
            elif col in produced:
                select.append(f"p.{_q(col)}")
            elif col in derived:
                select.append(derived[col])
            else:
                select.append("NULL")
        con.execute(
            f"INSERT INTO raw.{spec.table} ({', '.join(_q(c) for c in raw_cols)}) "
            f"SELECT {', '.join(select)} FROM sheet_parsed AS p JOIN batch_meta AS meta USING (__sheet) "
            f"WHERE row_kind = 'data' AND NOT ({reject}) ORDER BY __sheet, __row"
        )
        self._periods_per_row()
        self._quarantine(issues, reject)
        self._reported_totals()

    def _periods_per_row(self) -> None:
        """Period columns (e.g. 统计期) have few distinct values: parse them in Python once each."""
        for m in self.layout.columns:
            if m.spec.type != "period":
                continue
            name = m.spec.name
            labels = self.con.execute(
                f"SELECT DISTINCT r.{name}_label, meta.__year FROM raw.{self.spec.table} AS r "
                f"JOIN batch_meta AS meta ON meta.load_id = r.load_id AND meta.source_sheet = r.source_sheet "
                f"WHERE r.{name}_label IS NOT NULL AND r.{name}_start IS NULL"
            ).fetchall()
            for label, year in labels:
                p = parse_period(label, default_year=int(year))
                if p:
                    self.con.execute(
                        f"UPDATE raw.{self.spec.table} AS r SET {name}_start = ?, {name}_end = ?, {name}_type = ? "
                        f"FROM batch_meta AS meta WHERE meta.load_id = r.load_id "
                        f"AND meta.source_sheet = r.source_sheet AND meta.__year = ? AND r.{name}_label = ?",
                        [p.start, p.end, p.type, year, label],
                    )

    def _quarantine(self, issues: list[tuple[str, str]], reject: str) -> None:
        if not issues:
            return
        parts = []
        for _, col in issues:
            name = col.lstrip("!")
            m = self.layout.mapped(name)
            header = m.header if m else name
            letter = _sql_str(column_letter(m.index)) if m else "NULL"
            parts.append(
                f"SELECT __sheet, __row, {_sql_str(name)} AS column_name, {_sql_str(header)} AS header, "
                f"{letter} AS letter, {_q('i_' + col)} AS reason, CASE WHEN {reject} THEN 'row_rejected' "
                f"ELSE 'cell_nulled' END AS action FROM sheet_parsed "
                f"WHERE row_kind = 'data' AND {_q('i_' + col)} IS NOT NULL"
            )
        raw_lookup = " ".join(
            f"WHEN {_sql_str(m.spec.name)} THEN r.{_q('r_' + m.spec.name)}" for m in self.layout.columns
        )
        self.con.execute(f"""
            INSERT INTO audit.quarantine
            SELECT meta.load_id, meta.source_file, meta.source_sheet, q.__row, q.column_name, q.header,
                   CASE q.column_name {raw_lookup or "WHEN '' THEN NULL"} END, q.reason, q.action,
                   {_sql_str(self.spec.ledger_type)}, q.letter
            FROM ({" UNION ALL ".join(parts)}) q JOIN sheet_rows r USING (__sheet, __row)
            JOIN batch_meta AS meta USING (__sheet)
            ORDER BY q.__sheet, q.__row, q.column_name
        """)
        issues_of = dict(self.con.execute(
            "SELECT meta.__sheet, count(*) FROM audit.quarantine AS q JOIN batch_meta AS meta "
            "ON meta.load_id = q.load_id AND meta.source_sheet = q.sheet WHERE q.action = 'cell_nulled' GROUP BY 1"
        ).fetchall())
        for i, it in enumerate(self.items):
            it.result.cell_issues = int(issues_of.get(i, 0))

    def _reported_totals(self) -> None:
        """Stated 合计/小计/group values, with the data rows each one is a total of."""
        measures = [m.spec.name for m in self.layout.columns if m.spec.type in ("amount", "decimal", "int")]
        if not measures:
            return
        markers: dict[int, list[tuple[int, str]]] = {}
        for sheet, row, kind in self.con.execute(
            "SELECT __sheet, __row, row_kind FROM sheet_parsed WHERE row_kind <> 'data' ORDER BY __sheet, __row"
        ).fetchall():
            markers.setdefault(sheet, []).append((row, kind))
        data_rows = {sheet: (lo, hi) for sheet, lo, hi in self.con.execute(
            "SELECT __sheet, min(__row), max(__row) FROM sheet_parsed WHERE row_kind = 'data' GROUP BY 1"
        ).fetchall()}
        spans: list[tuple[int, int, int | None, int | None]] = []
        for sheet, marks in markers.items():
            if sheet not in data_rows:
                continue
            spans += [(sheet, *span) for span in _spans(marks, *data_rows[sheet])]
        if not spans:
            return
        self.con.register("spans_src", pa.table({
            "__sheet": pa.array([s[0] for s in spans], pa.int32()), "r": pa.array([s[1] for s in spans], pa.int32()),
            "f": pa.array([s[2] for s in spans], pa.int32()), "t": pa.array([s[3] for s in spans], pa.int32()),
        }))
        try:
            self.con.execute("CREATE OR REPLACE TEMP TABLE spans AS SELECT * FROM spans_src")
        finally:
            self.con.unregister("spans_src")
        unions = " UNION ALL ".join(
            f"SELECT __sheet, __row, row_kind, label_text, {_sql_str(ms)} AS measure, "
            f"CAST({_q(ms)} AS DECIMAL(18,4)) AS v FROM sheet_parsed "
            f"WHERE row_kind <> 'data' AND {_q(ms)} IS NOT NULL"
            for ms in measures
        )
        self.con.execute(f"""
            INSERT INTO raw.reported_totals
            SELECT meta.load_id, meta.ledger_key, {_sql_str(self.spec.ledger_type)}, meta.source_file,
                   meta.source_sheet, u.__row, u.row_kind, nullif(trim(u.label_text), ''),
                   u.measure, u.v, s.f, s.t, meta.report_period_end
            FROM ({unions}) u JOIN spans s ON s.__sheet = u.__sheet AND s.r = u.__row
            JOIN batch_meta AS meta ON meta.__sheet = u.__sheet
            ORDER BY u.__sheet, u.__row, u.measure
        """)


def _spans(markers: list[tuple[int, str]], first_data: int, last_data: int) -> list[tuple[int, int | None, int | None]]:
    """(marker row, first, last data row it totals) for each 合计/小计/group/其中 row of one sheet."""
    spans: list[tuple[int, int | None, int | None]] = []
    for i, (row, kind) in enumerate(markers):
        if kind == "total":
            spans.append((row, first_data, last_data))
        elif kind == "group":
            nxt = next((r for r, k in markers[i + 1 :] if k in ("group", "total", "subtotal")), None)
            spans.append((row, row + 1, (nxt - 1) if nxt else last_data))
        elif kind == "subtotal":
            prev = next((r for r, k in reversed(markers[:i]) if k in ("group", "subtotal", "total")), None)
            spans.append((row, (prev + 1) if prev else first_data, row - 1))
        else:
            spans.append((row, None, None))
    return spans


def column_letter(index: int) -> str:
    """0-based column index → spreadsheet letters (0 → A, 26 → AA)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out
