"""Ledger specs: YAML files that describe how a sheet maps onto a raw table."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import NamedTuple

import yaml

from waterwh.ingest.units import ALIAS_STRIPPED, ALIAS_STRIPPED_BRACKETED, alternatives

SPECS_DIR = Path(__file__).resolve().parent / "specs"

NUMERIC_TYPES = {"amount", "decimal", "int", "pct"}
COLUMN_TYPES = NUMERIC_TYPES | {"text", "date", "period", "enum", "bool", "rank"}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    not_null: bool = False
    unit: str | None = None
    values: dict[str, object] = field(default_factory=dict)
    alias_sets: dict[str, dict[str, str]] = field(default_factory=dict)
    qualified: bool = False
    derived: bool = False
    min: float | None = None  # a value below it is no value: the cell is set empty and reported
    # a unit column left empty takes the unit written in these cells of the row ("2.8万t/d")
    from_cells: tuple[str, ...] = ()
    # where each alias or value taught by a bureau's local spec file was written ("file:line")
    origins: dict[str, str] = field(default_factory=dict)
    # what a header read as measure + scope must say to be this column (ingest/headers.py):
    # the spec's measure key, the scopes that fit (None: the header names none), and the column a
    # basis word ("概算总投资") is written to
    reads_as: tuple[str, tuple[str | None, ...], str | None] | None = None
    # a ledger may split this column in parts (至上年底累计 + 本年累计): their sum stands in for it
    sum_of: tuple[str, ...] = ()
    # the running total (累计到位) beside this column's per-event amounts (本次到位), in a ledger of one
    # line per event: never matched on its own, only where the event column is (layout._running_totals)
    running_total_of: str | None = None
    # the column a unit this column's header states ("监测值(mg/L)") fills, in a sheet without it
    unit_to: str | None = None
    # an enum column's enumeration in specs/_enums.yaml (its codes and labels); the column's name by default
    enum: str | None = None

    def __post_init__(self) -> None:
        # Normalised once here: header matching runs for every row × spec × column while scanning.
        exact = frozenset(normalise_header(a) for a in self.aliases if not a.startswith("re:"))
        patterns = tuple(re.compile(a[3:]) for a in self.aliases if a.startswith("re:"))
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_patterns", patterns)

    def matches(self, header: str) -> bool:
        """`header` is already normalised (see `normalise_header`)."""
        if header in self._exact:  # type: ignore[attr-defined]
            return True
        return any(p.fullmatch(header) for p in self._patterns)  # type: ignore[attr-defined]

    def output_columns(self) -> list[tuple[str, str]]:
        """(column, DuckDB type) pairs this column produces in the raw table."""
        t = self.type
        if t == "amount":
            cols = [(self.name, "DECIMAL(18,4)")]
        elif t == "pct":
            cols = [(self.name, "DECIMAL(9,6)")]
        elif t == "decimal":
            cols = [(self.name, "DOUBLE")]
        elif t == "int":
            cols = [(self.name, "BIGINT")]
        elif t == "date":
            cols = [(self.name, "DATE")]
        elif t == "bool":
            cols = [(self.name, "BOOLEAN")]
        elif t == "period":
            cols = [
                (f"{self.name}_label", "VARCHAR"),
                (f"{self.name}_start", "DATE"),
                (f"{self.name}_end", "DATE"),
                (f"{self.name}_type", "VARCHAR"),
            ]
        elif t == "rank":
            cols = [(self.name, "INTEGER"), (f"{self.name}_of", "INTEGER")]
        else:  # text, enum
            cols = [(self.name, "VARCHAR")]
        if self.qualified:
            cols += [(f"{self.name}_qualifier", "VARCHAR"), (f"{self.name}_text", "VARCHAR")]
        return cols


@dataclass(frozen=True)
class Check:
    """A rule over a row's typed values that no single cell breaks: a row for which `when` (SQL
    over the spec's column names) holds is quarantined with `reason`, reported under `column`.
    `{name}` in the reason is the row's value of that column."""

    when: str
    reason: str
    columns: tuple[str, ...]  # every column the rule reads: it applies where all are in the sheet

    def reason_sql(self) -> str:
        parts = re.split(r"\{(\w+)\}", self.reason)
        return " || ".join(f"wh_shown(\"{p}\")" if i % 2 else "'" + p.replace("'", "''") + "'"
                           for i, p in enumerate(parts) if p)


@dataclass(frozen=True)
class LedgerSpec:
    ledger_type: str
    name_zh: str
    table: str
    columns: tuple[ColumnSpec, ...]
    label_columns: tuple[str, ...]
    identity: tuple[str, ...]  # the columns that say what a row reports on (a project, a case…)
    group_row: dict[str, str] | None
    group_target: str | None
    group_is_subtotal: bool
    fill_down: tuple[str, ...]
    checks: tuple[Check, ...] = ()
    measures: dict[str, str] = field(default_factory=dict)  # measure word → measure key (headers.py)
    grain: str = ""  # what one row of its raw table is
    # a sheet is this ledger only with one of these columns as well as the required ones: what it
    # reports (an amount, a count), beside what it reports on (the required identity)
    evidence: tuple[str, ...] = ()
    group_area: str | None = None  # the column a group row named after an area (二、青溪县) fills below it
    # the column a 合计 row naming it gives the rows below it (the 拼盘 layout: a project's total
    # line, then one line per 资金来源 with the project left blank)
    heads: str | None = None
    # the column a sheet without it takes from the ledger's own area (its title or landing folder)
    own_area: str | None = None
    # a column a sheet without it takes from its title: {column, pattern (its first group is the value)}
    from_title: dict | None = None
    # a wide form of this ledger (one column per indicator): which columns its cells go to (ingest/wide.py)
    wide: dict | None = None
    # money by source in column blocks (ingest/blocks.py): {source: the columns a block's source goes to}
    blocks: dict | None = None

    def __post_init__(self) -> None:
        # Header matching runs for every row × spec while scanning a sheet: index the aliases once.
        exact: dict[str, list[int]] = {}
        for i, c in enumerate(self.columns):
            if c.derived:
                continue
            for a in c._exact:  # type: ignore[attr-defined]
                exact.setdefault(a, []).append(i)
        patterned = tuple(i for i, c in enumerate(self.columns) if c._patterns and not c.derived)  # type: ignore[attr-defined]
        object.__setattr__(self, "_exact_index", exact)
        object.__setattr__(self, "_patterned", patterned)
        object.__setattr__(self, "_match_cache", {})

    def matching_columns(self, header: str, read: bool = True) -> tuple[ColumnSpec, ...]:
        """Columns whose aliases match the normalised `header`, in spec order (derived ones never);
        failing any (and `read`), the column the header reads as (see reading_columns)."""
        cache: dict[tuple[str, bool], tuple[ColumnSpec, ...]] = self._match_cache  # type: ignore[attr-defined]
        found = cache.get((header, read))
        if found is None:
            hits = set(self._exact_index.get(header, ()))  # type: ignore[attr-defined]
            hits.update(i for i in self._patterned if self.columns[i].matches(header))  # type: ignore[attr-defined]
            if not hits and read:
                read_as = self.reading_columns(header)
                hits.update(i for i, c in enumerate(self.columns) if c in read_as)
            if len(cache) > 100_000:  # every cell of the first rows of every sheet passes here
                cache.clear()
            found = cache[(header, read)] = tuple(self.columns[i] for i in sorted(hits))
        return found

    def reading_columns(self, header: str, scope_else: str | None = None) -> tuple[ColumnSpec, ...]:
        """The column a header no alias matched is read as (ingest/headers.py), in this order:
        - measure + scope: "2023年1-9月实际完成投资" → the column that reads as 完成投资 over ytd; in a
          two-row header the upper row may give the scope ("年度最新进展_累计完成投资");
        - a column that reads as no measure, by what is left once period and filler words are off
          ("1-3月实际形象进度" → 形象进度);
        - by the alias it ends with ("项目建设单位", "目前项目建设形象进度"), or its first part before
          及/和/与 ("存在问题及建议"), unless a word of plan (预计, 拟) makes it another thing;
        - by a list sharing its last word ("业主、法人（责任）单位及负责人" → 业主单位).
        A measure over a block of its parts ("完成投资" over 总投资 | 其中政府投资 | …) is read at the
        block's total column; `scope_else` is the scope of a measure whose header gives none (the
        title's: see layout._as_of_title)."""
        from waterwh.ingest.headers import header_words, read_header

        upper, _, lower = header.rpartition("_")
        if upper and lower in BLOCK_TOTALS and self.measures.get(read_header(upper).text):
            upper, lower = "", upper  # "完成投资" over 总投资 | 政府投资 | …: the block's total is the measure
        reading = read_header(lower)
        above = read_header(upper) if upper else None
        scope = reading.scope or (above.scope if above else None) or scope_else
        if scope == "cumulative" and reading.scope_word == "累计" and above is not None and above.year:
            scope = "ytd"  # "2025年" over "累计完成": this year's total so far
        measure = self.measures.get(reading.plain) or self.measures.get(reading.text)
        if measure is not None:
            return tuple(c for c in self.columns
                         if c.reads_as and not c.derived and c.reads_as[0] == measure and scope in c.reads_as[1])
        index: dict[str, list[int]] = self._exact_index  # type: ignore[attr-defined]

        def unmeasured(indexes: list[int], amounts: bool = True) -> tuple[ColumnSpec, ...]:
            hits = [self.columns[i] for i in indexes
                    if self.columns[i].reads_as is None and (amounts or self.columns[i].type != "amount")]
            return tuple(hits[:1])

        def ending_in_alias(part: str) -> tuple[ColumnSpec, ...]:
            planned = header_words().planned
            for start in range(1, len(part) - 3):  # the longest alias of 4 characters or more it ends with
                alias = part[start:]
                if alias in index and not (any(w in part[:start] for w in planned) and not alias.startswith(planned)):
                    hits = unmeasured(index[alias], amounts=False)
                    if hits:
                        return hits
            return ()

        def listed(part: str) -> tuple[ColumnSpec, ...]:
            """A list sharing its last word, asides in brackets dropped: "业主、法人（责任）单位" is
            业主单位 or 法人单位."""
            if "、" not in part:
                return ()
            *heads, last = re.sub(r"\([^()]*\)", "", part).split("、")
            tried = [last, *(head + last[k:] for head in heads for k in range(1, len(last)))] if heads else []
            return next((hits for t in tried if (hits := unmeasured(index.get(t, []), amounts=False))), ())

        first = re.split("[及和与]", lower)[0]  # "存在问题及建议" → 存在问题
        return (unmeasured([*index.get(reading.plain, ()), *index.get(reading.text, ())])
                or ending_in_alias(lower) or unmeasured(index.get(first, [])) or ending_in_alias(first)
                or listed(first))

    def basis_sets(self, header: str, column: ColumnSpec) -> dict[str, str]:
        """What a basis word in the header says ({investment_basis: budget_estimate} for 概算总投资)."""
        from waterwh.ingest.headers import read_header

        if column.reads_as is None or column.reads_as[2] is None:
            return {}
        basis = read_header(header).basis
        return {column.reads_as[2]: basis} if basis else {}

    @property
    def required(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def raw_columns(self) -> list[tuple[str, str]]:
        cols: list[tuple[str, str]] = [(c.name, c.type) for c in LINEAGE_COLUMNS]
        for c in self.columns:
            cols += c.output_columns()
        return cols


class LineageColumn(NamedTuple):
    name: str
    type: str  # DuckDB's
    description: str
    always: bool  # set on every raw row: checked by dbt (the sources) and Great Expectations


# Lineage carried by every raw row: the one list (raw tables, the loader's columns, the dbt macro
# lineage_columns and the sources, the GX suites all read it).
LINEAGE_COLUMNS: tuple[LineageColumn, ...] = (
    LineageColumn("load_id", "VARCHAR", "The load that wrote the row (导入批次).", True),
    LineageColumn("ledger_key", "VARCHAR", "The ledger it belongs to: type|scope|period (台账键).", True),
    LineageColumn("source_file", "VARCHAR", "The file the row came from (来源文件).", True),
    LineageColumn("source_sheet", "VARCHAR", "The sheet of that file (工作表).", True),
    LineageColumn("source_row", "INTEGER", "The row in the sheet, as the spreadsheet numbers it (行号).", True),
    LineageColumn("file_sha256", "VARCHAR", "SHA-256 of the file (文件校验值).", True),
    LineageColumn("loaded_at", "TIMESTAMP", "When the load ran (导入时间).", True),
    LineageColumn("ledger_scope", "VARCHAR", "The area or unit the ledger reports for (台账范围).", False),
    LineageColumn("report_period_start", "DATE", "First day of the reporting period (报告期起).", False),
    LineageColumn("report_period_end", "DATE", "Last day of the reporting period (报告期止).", True),
    LineageColumn("period_type", "VARCHAR", "What the period is: month, quarter, year … (报告期类型).", False),
)


_WS = re.compile(r"[\s\u3000\u2003\xa0]+")


_ALIAS_UNIT = re.compile(r"[(\[]?(单位:)?(" + alternatives(ALIAS_STRIPPED) + r")[)\]]?$")
_ALIAS_BRACKETED_UNIT = re.compile(r"[(\[](单位:)?(" + alternatives(ALIAS_STRIPPED_BRACKETED) + r")[)\]]$")


@functools.lru_cache(maxsize=65536)
def normalise_header(text: str) -> str:
    """Header text as matched against aliases: NFKC, no whitespace, units stripped."""
    import unicodedata

    t = unicodedata.normalize("NFKC", text)
    t = _WS.sub("", t)
    t = _ALIAS_UNIT.sub("", t)
    t = _ALIAS_BRACKETED_UNIT.sub("", t)
    return t.replace("（", "(").replace("）", ")")


# under a measure in a two-row header, the column of the whole of it, the others its parts
BLOCK_TOTALS = frozenset({"合计", "小计", "总计", "总投资", "总额", "合计金额"})


class SpecError(ValueError):
    """A spec file that cannot be used as written: the message (Chinese) names the file and line."""


def _check_codes(where: object, column: str, enum: str | None, values: dict[str, object]) -> None:
    """An enum column's words must map to codes of its enumeration (specs/_enums.yaml) or to nothing."""
    from waterwh.ingest.enums import enum_codes

    codes = enum_codes().get(enum or "")
    if codes is None:
        raise SpecError(f"{where}：列 {column} 的枚举「{enum}」不在 specs/_enums.yaml 中")
    unknown = sorted({str(v) for v in values.values() if v is not None} - set(codes))
    if unknown:
        raise SpecError(f"{where}：{column} 的取值只能对应已有代码（{'、'.join(codes)}），「{'、'.join(unknown)}」不是")


# The keys a spec file may use, per level ("*" a name of the author's choosing); a misspelt key is an
# error naming file and line rather than a setting silently ignored.
_COLUMN_KEYS = {"type", "aliases", "required", "not_null", "unit", "values", "alias_sets", "qualified",
                "derived", "min", "from_cells", "reads_as", "context", "sum_of",
                "running_total_of", "unit_to", "enum"}
_SPEC_KEYS = {"ledger_type", "name_zh", "grain", "table", "columns", "rows", "checks", "measures", "wide", "blocks"}
_WIDE_KEYS = {"key", "name", "unit", "value", "target", "period", "target_words", "period_words", "compare_words",
              "skip_words", "carry"}
_READS_AS_KEYS = {"measure", "scope", "basis_to"}
SCOPES = {"period", "event", "ytd", "months", "cumulative", "before_year", "year", "none"}
_ROWS_KEYS = {"identity", "label_columns", "group_row", "group_target", "group_is_subtotal", "fill_down", "evidence",
              "group_area", "from_title", "heads", "own_area"}
_CHECK_KEYS = {"when", "reason", "columns"}
# what a bureau's local file may add to a shipped column: header words and cell words, never types
LOCAL_COLUMN_KEYS = {"aliases", "values", "alias_sets"}


def _where(path: Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _check_keys(path: Path, node: yaml.Node, allowed: set[str], what: str) -> dict[str, yaml.Node]:
    """The mapping's keys → value nodes, refusing any key not in `allowed`."""
    if not isinstance(node, yaml.MappingNode):
        raise SpecError(f"{_where(path, node)}：{what}应是「键: 值」的映射")
    out = {}
    for key, value in node.value:
        if key.value not in allowed:
            near = difflib.get_close_matches(key.value, sorted(allowed), n=1)
            hint = f"（是不是「{near[0]}」？）" if near else f"（可用的键：{'、'.join(sorted(allowed))}）"
            raise SpecError(f"{_where(path, key)}：{what}中没有「{key.value}」这个键{hint}")
        out[key.value] = value
    return out


def _validate(path: Path, text: str, local: bool) -> None:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}：不是有效的 YAML（{exc}）") from exc
    if root is None:
        raise SpecError(f"{path}：文件是空的")
    top = _check_keys(path, root, {"ledger_type", "columns", "measures"} if local else _SPEC_KEYS, "台账定义")
    columns = top.get("columns")
    if columns is not None:
        for _, column in _check_keys(path, columns, {k.value for k, _ in columns.value}, "columns").items():
            keys = _check_keys(path, column, LOCAL_COLUMN_KEYS if local else _COLUMN_KEYS, "列定义")
            if "reads_as" in keys:
                _check_keys(path, keys["reads_as"], _READS_AS_KEYS, "reads_as")
    if "rows" in top:
        _check_keys(path, top["rows"], _ROWS_KEYS, "rows")
    if "wide" in top:
        _check_keys(path, top["wide"], _WIDE_KEYS, "wide")
    for check in getattr(top.get("checks"), "value", []) or []:
        _check_keys(path, check, _CHECK_KEYS, "checks")


def _load(path: Path) -> LedgerSpec:
    text = path.read_text(encoding="utf-8")
    _validate(path, text, local=False)
    doc = yaml.safe_load(text)
    cols = []
    for name, c in doc["columns"].items():
        if c["type"] not in COLUMN_TYPES:
            raise ValueError(f"{path.name}: column {name} has unknown type {c['type']!r}")
        cols.append(
            ColumnSpec(
                name=name,
                type=c["type"],
                aliases=tuple(str(a) for a in c.get("aliases", [])),
                required=bool(c.get("required", False)),
                not_null=bool(c.get("not_null", False)),
                unit=c.get("unit"),
                values={str(k): v for k, v in (c.get("values") or {}).items()},
                alias_sets={normalise_header(k): v for k, v in (c.get("alias_sets") or {}).items()},
                qualified=bool(c.get("qualified", False)),
                derived=bool(c.get("derived", False)),
                min=c.get("min"),
                from_cells=tuple(c.get("from_cells", ())),
                reads_as=_reads_as(path, name, c.get("reads_as"), doc.get("measures") or {}),
                sum_of=tuple(c.get("sum_of", ())),
                running_total_of=c.get("running_total_of"),
                unit_to=c.get("unit_to"),
                enum=(c.get("enum") or name) if c["type"] == "enum" else None,
            )
        )
        if c["type"] == "enum":
            _check_codes(path, name, cols[-1].enum, cols[-1].values)
        if c.get("unit_to") not in (None, *doc["columns"]):
            raise SpecError(f"{path}：列 {name} 的 unit_to「{c['unit_to']}」不在 columns 中")
        if c.get("running_total_of") not in (None, *doc["columns"]):
            raise SpecError(f"{path}：列 {name} 的 running_total_of「{c['running_total_of']}」不在 columns 中")
        if any(f not in doc["columns"] for f in c.get("from_cells", ())):
            raise ValueError(f"{path.name}: column {name}: from_cells names a column the spec does not have")
        if c.get("min") is not None and c["type"] not in NUMERIC_TYPES:
            raise ValueError(f"{path.name}: column {name}: min applies to numbers only")
    rows = doc.get("rows", {})
    unknown = [c for c in rows.get("evidence", []) if c not in doc["columns"]]
    if unknown:
        raise SpecError(f"{path}：rows.evidence 中的列不在 columns 中：{unknown}")
    unknown = [c for c in rows.get("identity", []) if c not in doc["columns"]]
    if not rows.get("identity") or unknown:
        raise ValueError(f"{path.name}: rows.identity must name columns of the spec (unknown: {unknown})")
    checks = tuple(Check(k["when"], k["reason"], tuple(k["columns"])) for k in doc.get("checks", []))
    for k in checks:
        unknown = [c for c in k.columns if c not in doc["columns"]]
        if unknown:
            raise ValueError(f"{path.name}: check {k.when!r} reads columns the spec does not have: {unknown}")
    return LedgerSpec(
        ledger_type=doc["ledger_type"],
        name_zh=doc["name_zh"],
        grain=doc.get("grain", ""),
        table=doc["table"],
        columns=tuple(cols),
        label_columns=tuple(rows.get("label_columns", [])),
        identity=tuple(rows.get("identity", [])),
        group_row=rows.get("group_row"),
        group_target=rows.get("group_target"),
        group_is_subtotal=bool(rows.get("group_is_subtotal", False)),
        fill_down=tuple(rows.get("fill_down", [])),
        checks=checks,
        measures=_measure_words(doc.get("measures") or {}),
        evidence=tuple(rows.get("evidence", [])),
        group_area=rows.get("group_area"),
        heads=rows.get("heads"),
        own_area=rows.get("own_area"),
        from_title=rows.get("from_title"),
        wide=_wide(path, doc),
        blocks=_blocks(path, doc),
    )


def _wide(path: Path, doc: dict) -> dict | None:
    wide = doc.get("wide")
    if wide is None:
        return None
    keys = wide.get("key")
    keys = [keys] if isinstance(keys, str) else list(keys or [])
    for key in ("name", "unit", "value", "target", "period"):
        if wide.get(key) not in doc["columns"]:
            raise SpecError(f"{path}：wide.{key} 应是本台账的一列，实为「{wide.get(key)}」")
    if not keys or not set(keys + wide.get("carry", [])) <= set(doc["columns"]):
        raise SpecError(f"{path}：wide.key 和 wide.carry 应是本台账的列，实为「{keys}」「{wide.get('carry')}」")
    return {**wide, "key": keys, "carry": list(wide.get("carry", [])),
            "period_words": [normalise_header(w) for w in wide.get("period_words", [])]}


def _blocks(path: Path, doc: dict) -> dict | None:
    blocks = doc.get("blocks")
    if blocks is not None and not (blocks.get("source") and set(blocks["source"]) <= set(doc["columns"])):
        raise SpecError(f"{path}：blocks.source 应是本台账的列的列表，实为「{blocks.get('source')}」")
    return blocks


def _measure_words(measures: dict[str, list[str]]) -> dict[str, str]:
    """{measure word, as headers are normalised: measure key}."""
    return {normalise_header(str(w)): key for key, words in measures.items() for w in [key, *words]}


def _reads_as(path: Path, name: str, spec: dict | None, measures: dict) -> tuple | None:
    if spec is None:
        return None
    if spec.get("measure") not in measures:
        raise SpecError(f"{path}：列 {name} 的 reads_as.measure「{spec.get('measure')}」不在 measures 中")
    scopes = spec.get("scope", "none")
    scopes = [scopes] if isinstance(scopes, str) else list(scopes)
    if not set(scopes) <= SCOPES:
        raise SpecError(f"{path}：列 {name} 的 reads_as.scope 只能是 {'、'.join(sorted(SCOPES))}")
    return (spec["measure"], tuple(None if s == "none" else s for s in scopes), spec.get("basis_to"))


@cache
def load_specs(specs_dir: Path = SPECS_DIR) -> tuple[LedgerSpec, ...]:
    return tuple(_load(p) for p in sorted(specs_dir.glob("*.yaml")) if not p.name.startswith("_"))


def with_local_specs(specs: tuple[LedgerSpec, ...], local_dir: Path) -> tuple[tuple[LedgerSpec, ...], list[str]]:
    """`specs` extended by each of a bureau's local files (`local_dir`/*.yaml, see extend), and the
    message of each file that could not be used: it is left out, the others still apply (a typo
    in one file of the bureau's own must not stop the night)."""
    problems: list[str] = []
    if local_dir.is_dir():
        for path in sorted(local_dir.glob("*.yaml")):
            try:
                specs = extend(specs, path)
            except (SpecError, OSError, UnicodeDecodeError) as exc:
                problems.append(f"本地台账定义未采用：{exc}")
    return specs, problems


def extend(specs: tuple[LedgerSpec, ...], path: Path) -> tuple[LedgerSpec, ...]:
    """Add a local file's header words (aliases), cell words (values) and alias_sets to shipped
    columns. A local file names a shipped ledger_type and shipped columns; it cannot change a type
    or add a column (the raw tables are the shipped ones). Each addition remembers file and line."""
    text = path.read_text(encoding="utf-8")
    _validate(path, text, local=True)
    root = yaml.compose(text)
    top = {k.value: v for k, v in root.value}
    by_type = {s.ledger_type: s for s in specs}
    ledger_type = top.get("ledger_type")
    if ledger_type is None or ledger_type.value not in by_type:
        got = ledger_type.value if ledger_type is not None else "（未写）"
        raise SpecError(f"{_where(path, ledger_type or root)}：ledger_type「{got}」不是已有的台账类型"
                        f"（{'、'.join(by_type)}）")
    spec = by_type[ledger_type.value]
    names = {c.name for c in spec.columns}
    changed = {c.name: c for c in spec.columns}
    for key, node in (top["columns"].value if "columns" in top else []):
        if key.value not in names:
            near = difflib.get_close_matches(key.value, sorted(names), n=1)
            hint = f"（是不是「{near[0]}」？）" if near else ""
            raise SpecError(f"{_where(path, key)}：{spec.name_zh}没有「{key.value}」这一列{hint}；"
                            f"可用的列：{'、'.join(sorted(names))}")
        column = changed[key.value]
        parts = {k.value: v for k, v in node.value}
        origins = dict(column.origins)
        aliases = list(column.aliases)
        for alias in getattr(parts.get("aliases"), "value", []):
            aliases.append(str(alias.value))
            origins[str(alias.value)] = _where(path, alias)
        values = dict(column.values)
        for word, code in getattr(parts.get("values"), "value", []):
            values[str(word.value)] = yaml.safe_load(yaml.serialize(code))
            origins[str(word.value)] = _where(path, word)
        alias_sets = dict(column.alias_sets)
        if "alias_sets" in parts:
            for alias, sets in yaml.safe_load(yaml.serialize(parts["alias_sets"])).items():
                alias_sets[normalise_header(str(alias))] = sets
        if column.type == "enum" and values:
            _check_codes(_where(path, node), key.value, column.enum, values)
        changed[key.value] = replace(column, aliases=tuple(aliases), values=values, alias_sets=alias_sets,
                                     origins=origins)
    measures = dict(spec.measures)
    for key, node in (top["measures"].value if "measures" in top else []):
        if key.value not in set(spec.measures.values()):
            raise SpecError(f"{_where(path, key)}：{spec.name_zh}没有「{key.value}」这个量"
                            f"（已有：{'、'.join(sorted(set(spec.measures.values())))}）")
        for word in getattr(node, "value", []):
            measures[normalise_header(str(word.value))] = key.value
    extended = replace(spec, columns=tuple(changed[c.name] for c in spec.columns), measures=measures)
    return tuple(extended if s.ledger_type == spec.ledger_type else s for s in specs)


def spec_for(ledger_type: str) -> LedgerSpec:
    for s in load_specs():
        if s.ledger_type == ledger_type:
            return s
    raise KeyError(ledger_type)
