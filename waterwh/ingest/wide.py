"""Wide sheets: one row per area, one column per indicator, turned into the long form a spec reads.

Water-use and water-resource ledgers are usually laid out wide:

    行政区划 | 年份 | 用水量(亿m³) | 十三五控制指标(亿m³) | 万元GDP用水量(m³/万元) | 控制指标(m³/万元) | …

A spec with a `wide:` block (indicator.yaml) says which of its columns is the row key (the area),
which the value and target of an indicator column go to, and the words of a target column (控制指标)
and of a period column (年份). Such a sheet becomes a sheet of the long form — the title rows kept,
then a header of the spec's own words, then one row per (area row × indicator column) with the
indicator's name and unit from its header — and is then recognised and loaded like any other. Each
long row keeps its spreadsheet row, and each value its own cell's column (`Sheet.origin`), so a
problem is reported at the cell the clerk typed.

Only columns whose cells are numbers become indicators; a text column (评价结果) is left out and
listed as a header not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from waterwh.ingest.readers import Sheet
from waterwh.ingest.spec import LedgerSpec, normalise_header
from waterwh.ingest.text import column_letter, nfkc
from waterwh.ingest.units import WIDE_CJK_UNITS, WIDE_LETTER_UNITS

SCAN_ROWS = 40
_NUMBER = re.compile(r"[+-]?(\d[\d,]*(\.\d*)?|\.\d+)%?")
_UNIT_AT_END = re.compile(r"[(\[]\s*([^()\[\]]{1,12}?)\s*[)\]]\s*$|(%)$")
# units written in Chinese only, and units of letters alone; any with /, %, ‰ or a degree sign is
# one anyway (m3/万元, mg/L, ℃). Anything else in brackets is part of the name: 化学需氧量（COD）,
# 氨氮（NH3-N）, 总磷（以P计）, 铬（六价）.
_TOTAL = re.compile(r"^(合\s*计|小\s*计|总\s*计)")


@dataclass(frozen=True)
class Indicator:
    name: str
    unit: str | None
    value: int  # column of the values
    target: int | None  # column of its target (控制指标), if the sheet has one beside it
    header: str


@dataclass(frozen=True)
class WideLayout:
    spec: LedgerSpec
    header_row: int  # 0-based row of the header
    key: int  # column of the row key (the area, or the station)
    key_name: str  # the spec column it is (wide.key: the first of them the header has)
    carried: tuple[tuple[str, int], ...]  # other columns a row keeps as they are (wide.carry): (name, column)
    period: int | None  # column of each row's period (年份), if any
    seq: int | None
    indicators: tuple[Indicator, ...]
    unread: tuple[str, ...]  # headers neither key, period nor an indicator column


def _split_unit(header: str) -> tuple[str, str | None]:
    """"用水量(亿m³)" → ("用水量", "亿m3"); "占全市比例%" → ("占全市比例", "%")."""
    text = nfkc(header).replace("（", "(").replace("）", ")").replace(" ", "")
    m = _UNIT_AT_END.search(text)
    if not m:
        return text, None
    unit = m.group(1) or m.group(2)
    if not (re.search(r"[/%‰℃°]", unit) or unit in WIDE_CJK_UNITS or unit.lstrip("万亿千百") in WIDE_LETTER_UNITS):
        return text, None  # "(六价)", "(NH3-N)", "(以P计)" are part of a name, not a unit
    return text[: m.start()].rstrip("_"), unit


def _numeric_share(rows: list[list[str]], col: int) -> tuple[int, int]:
    filled = [r[col].strip() for r in rows if col < len(r) and r[col].strip()]
    return sum(1 for v in filled if _NUMBER.fullmatch(v.replace(" ", ""))), len(filled)


def detect_wide(rows: list[list[str]], spec: LedgerSpec) -> WideLayout | None:
    """The wide layout of a sheet's first rows for `spec`, or None when it is not one."""
    wide = spec.wide
    if not wide:
        return None
    targets = tuple(wide["target_words"])
    periods, skip = set(wide["period_words"]), {normalise_header(w) for w in wide.get("skip_words", [])}
    head = rows[:SCAN_ROWS]
    for i, row in enumerate(head):
        cells = [normalise_header(c) for c in row]
        found = {}  # spec column → the first sheet column it heads
        for name in [*wide["key"], *wide["carry"]]:
            j = next((j for j, c in enumerate(cells) if c and spec.column(name).matches(c)), None)
            if j is not None and j not in found.values():
                found.setdefault(name, j)
        key_name = next((k for k in wide["key"] if k in found), None)
        if key_name is None:
            continue
        key = found[key_name]
        carried = tuple((n, j) for n, j in found.items() if n != key_name and n in wide["carry"])
        data = [r for r in head[i + 1:] if any(c.strip() for c in r)]
        if not data:
            return None
        period = next((j for j, c in enumerate(cells) if c in periods), None)
        seq = next((j for j, c in enumerate(cells) if c in ("序号", "编号")), None)
        indicators: list[Indicator] = []
        unread: list[str] = []
        for j, header in enumerate(row):
            if j in (key, period, seq) or j in dict(carried).values() or not header.strip():
                continue
            numbers, filled = _numeric_share(data, j)
            name, unit = _split_unit(header)
            # a column of numbers, a few of them mistyped (each then reported at its cell)
            if normalise_header(header) in skip or not numbers or numbers * 2 < filled:
                unread.append(header)
                continue
            if indicators and indicators[-1].target is None and any(w in name for w in targets) \
                    and indicators[-1].value == j - 1:
                last = indicators[-1]
                indicators[-1] = Indicator(last.name, last.unit or unit, last.value, j, last.header)
                continue
            if indicators and any(word in name for word in wide.get("compare_words", [])):
                name = indicators[-1].name + name  # "较省平均" after 用水量: 用水量较省平均
            if any(ind.name == name for ind in indicators):  # the same header twice: each its own
                name = f"{name}（{column_letter(j)}列）"
            indicators.append(Indicator(name, unit, j, None, header))
        if len(indicators) >= 2 or (indicators and indicators[0].target is not None):
            return WideLayout(spec, i, key, key_name, carried, period, seq, tuple(indicators), tuple(unread))
        return None
    return None


def unpivot(sheet: Sheet, wide: WideLayout) -> Sheet:
    """The sheet in the spec's long form: title rows, a header of the spec's words, one row per
    area row × indicator with a value or a target (empty cells make no row)."""
    spec, w = wide.spec, wide.spec.wide
    assert w is not None
    carried = dict(wide.carried)
    order = ["seq_no", wide.key_name, w["name"], w["unit"], w["value"], w["target"], w["period"], *carried]
    words = {name: spec.column(name).aliases[0] for name in order}
    sheet = sheet.percent_as_shown(ind.value for ind in wide.indicators)  # 45% as the clerk sees it
    table = sheet.table
    columns = [table.column(j).to_pylist() for j in range(table.num_columns)]

    def cell(j: int | None, r: int) -> str | None:
        return columns[j][r] if j is not None and j < len(columns) else None

    out: dict[str, list[str | None]] = {c: [] for c in order}
    rows: list[int] = []
    letters: dict[str, list[int]] = {c: [] for c in order}
    headers: dict[str, list[str]] = {c: [] for c in order}
    for r in range(wide.header_row):  # the title rows, as they were
        for k, c in enumerate(order):
            out[c].append(cell(k, r) if k < len(columns) else None)
            letters[c].append(k)
            headers[c].append("")
        rows.append(r + 1)
    for k, c in enumerate(order):
        out[c].append(words[c])
        letters[c].append(k)
        headers[c].append("")
    rows.append(wide.header_row + 1)
    period_col = wide.period
    for r in range(wide.header_row + 1, table.num_rows):
        area = cell(wide.key, r)
        for ind in wide.indicators:
            value, target = cell(ind.value, r), cell(ind.target, r)
            if not (value or "").strip() and not (target or "").strip():
                continue
            period = cell(period_col, r)
            if period and re.fullmatch(r"\d{4}", period.strip()):
                period = period.strip() + "年"
            seq = area if area and _TOTAL.match(area.strip()) else cell(wide.seq, r)  # a 合计 row stays a total
            for c, v, j, h in (("seq_no", seq, wide.seq, ""), (wide.key_name, area, wide.key, ""),
                               *((name, cell(col, r), col, "") for name, col in carried.items()),
                               (w["name"], ind.name, ind.value, ind.header),
                               (w["unit"], ind.unit, ind.value, ind.header),
                               (w["value"], value, ind.value, ind.header),
                               (w["target"], target, ind.target if ind.target is not None else ind.value, ind.header),
                               (w["period"], period, period_col, "")):
                out[c].append(v)
                letters[c].append(j if j is not None else ind.value)
                headers[c].append(h)
            rows.append(r + 1)
    long = pa.table({f"c{k}": pa.array(out[c], pa.string()) for k, c in enumerate(order)})
    origin = {k: (np.asarray(letters[c], dtype=np.int32), headers[c]) for k, c in enumerate(order)}
    return Sheet(sheet.name, long, {}, sheet.hidden, row_numbers=np.asarray(rows, dtype=np.int32), origin=origin)
