"""Ledger specs: YAML files that describe how a sheet maps onto a raw table."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

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

    def matching_columns(self, header: str) -> tuple[ColumnSpec, ...]:
        """Columns whose aliases match the normalised `header`, in spec order (derived ones never)."""
        cache: dict[str, tuple[ColumnSpec, ...]] = self._match_cache  # type: ignore[attr-defined]
        found = cache.get(header)
        if found is None:
            hits = set(self._exact_index.get(header, ()))  # type: ignore[attr-defined]
            hits.update(i for i in self._patterned if self.columns[i].matches(header))  # type: ignore[attr-defined]
            if len(cache) > 100_000:  # every cell of the first rows of every sheet passes here
                cache.clear()
            found = cache[header] = tuple(self.columns[i] for i in sorted(hits))
        return found

    @property
    def required(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def raw_columns(self) -> list[tuple[str, str]]:
        cols: list[tuple[str, str]] = list(LINEAGE_COLUMNS)
        for c in self.columns:
            cols += c.output_columns()
        return cols


# Lineage carried by every raw row.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "VARCHAR"),
    ("ledger_key", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("source_sheet", "VARCHAR"),
    ("source_row", "INTEGER"),
    ("file_sha256", "VARCHAR"),
    ("loaded_at", "TIMESTAMP"),
    ("ledger_scope", "VARCHAR"),
    ("report_period_start", "DATE"),
    ("report_period_end", "DATE"),
    ("period_type", "VARCHAR"),
)


_WS = re.compile(r"[\s\u3000\u2003\xa0]+")


@functools.lru_cache(maxsize=65536)
def normalise_header(text: str) -> str:
    """Header text as matched against aliases: NFKC, no whitespace, units stripped."""
    import unicodedata

    t = unicodedata.normalize("NFKC", text)
    t = _WS.sub("", t)
    t = re.sub(r"[(\[]?(单位:)?(万元|亿元|元|%|万m3|m3|km|公里|个|处|次|件)[)\]]?$", "", t)
    return t.replace("（", "(").replace("）", ")")


def _load(path: Path) -> LedgerSpec:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
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
            )
        )
        if any(f not in doc["columns"] for f in c.get("from_cells", ())):
            raise ValueError(f"{path.name}: column {name}: from_cells names a column the spec does not have")
        if c.get("min") is not None and c["type"] not in NUMERIC_TYPES:
            raise ValueError(f"{path.name}: column {name}: min applies to numbers only")
    rows = doc.get("rows", {})
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
        table=doc["table"],
        columns=tuple(cols),
        label_columns=tuple(rows.get("label_columns", [])),
        identity=tuple(rows.get("identity", [])),
        group_row=rows.get("group_row"),
        group_target=rows.get("group_target"),
        group_is_subtotal=bool(rows.get("group_is_subtotal", False)),
        fill_down=tuple(rows.get("fill_down", [])),
        checks=checks,
    )


@cache
def load_specs(specs_dir: Path = SPECS_DIR) -> tuple[LedgerSpec, ...]:
    return tuple(_load(p) for p in sorted(specs_dir.glob("*.yaml")))


def spec_for(ledger_type: str) -> LedgerSpec:
    for s in load_specs():
        if s.ledger_type == ledger_type:
            return s
    raise KeyError(ledger_type)
