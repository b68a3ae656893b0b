"""Ledgers laid out like real bureau systems' exports (tests/corpus/real_layouts.yaml) load with the
right figures: each layout's header, as the source wrote it, over rows of known values.

A layout that does not load yet carries its reason (`gap:`) in the corpus; one without a gap must
load, and one with a gap that now loads fails too, so that the gap is removed. The share that loads
is printed (`-s`) and must stay at or above FLOOR.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from tests.workbooks import write_xlsx
from waterwh.ingest.files import ingest_paths
from waterwh.ingest.headers import read_header
from waterwh.ingest.layout import QUANTITY_UNITS
from waterwh.ingest.spec import spec_for

CORPUS = Path(__file__).parent / "corpus" / "real_layouts.yaml"
LAYOUTS: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["layouts"]
FILL = {"area": "青溪县", "year": 2025, "month": 3, "prev": 2024}
FLOOR = 0.9  # share of the corpus that loads with the right figures (raise it as gaps close)
TO_WAN = {"元": Decimal("0.0001"), "万元": Decimal(1), "亿元": Decimal(10000)}
KEPT_IN = {"distance_km": "km", "duration_min": "分钟"}  # quantities, in the unit their columns keep
STATED_UNIT = re.compile(r"[(（]\s*([^()（）]+?)\s*[)）]\s*$")

# amounts consistent with each other, as a real ledger's are (the ingest checks hold them so)
AMOUNT_BASE = {"total_investment": 9000, "since_start_completed": 5000, "before_year_completed": 4000,
               "annual_plan": 3000, "ytd_completed": 2000, "period_completed": 300, "allocated_amount": 1000,
               "received_amount": 800, "spent_amount": 500, "received_running_total": 2000}

# a value per column kind, as a clerk writes it, and what waterwh must store
CELLS: dict[str, tuple[object, object]] = {
    "seq_no": ("{n}", "{n}"),
    "project_name": ("青石镇{n}号河道整治工程", "青石镇{n}号河道整治工程"),
    "admin_area": ("青石镇", "青石镇"),
    "responsible_unit": ("青溪县水利局", "青溪县水利局"),
    "project_type": ("水利", "水利"),
    "construction_nature": ("续建", "continuing"),
    "status": ("是", "under_construction"),
    "physical_progress": ("60%", Decimal("0.6")),
    "ytd_completion_rate": ("45.5%", Decimal("0.455")),
    "start_date": ("2024-05-10", "2024-05-10"),
    "planned_finish": ("2026-12-31", "2026-12-31"),
    "allocated_date": ("2025-02-01", "2025-02-01"),
    "received_date": ("2025-03-0{n}", "2025-03-0{n}"),
    "remarks": ("另见附件", "另见附件"),
    "delay_reason": ("征地未完成", "征地未完成"),
    "fund_level": ("中央", "central"),
    "fund_program": ("中央水利发展资金", "中央水利发展资金"),
    "doc_no": ("青财农〔2025〕{n}号", "青财农〔2025〕{n}号"),
    "patrol_date": ("2025-03-0{n}", "2025-03-0{n}"),
    "found_date": ("2025-03-0{n}", "2025-03-0{n}"),
    "chief_name": ("张{n}", "张{n}"),
    "chief_level": ("乡镇级", "township"),
    "river_name": ("青溪河", "青溪河"),
    "segment": ("城关段", "城关段"),
    "issues_found": ("2", 2),
    "duration_min": ("45", 45),
    "distance_km": ("3.5", Decimal("3.5")),
    "issue_id": ("QSL-2025-00{n}", "QSL-2025-00{n}"),
    "category": ("乱堆", "dumping"),
    "rectify_status": ("已整改", "closed"),
    "source": ("巡河发现", "巡河发现"),
    "case_no": ("青水立〔2025〕{n}号", "青水立〔2025〕{n}号"),
    "violation_type": ("非法采砂", "非法采砂"),
    "station": ("青溪桥{n}号断面", "青溪桥{n}号断面"),
    "indicator_name": ("化学需氧量", "化学需氧量"),
    "sample_date": ("2025-03-0{n}", "2025-03-0{n}"),
}


def _fill(text: str) -> str:
    return text.format(**FILL) if isinstance(text, str) else text


def _ledger(layout: dict[str, Any], folder: Path) -> tuple[Path, list[dict[str, object]]]:
    """The layout as a workbook with two data rows, and what each row must load as."""
    header = [[_fill(h) for h in row] for row in layout["header"]]
    rows: list[list[object]] = [[_fill(layout["title"])]]
    if layout.get("unit_line"):
        rows.append([layout["unit_line"]])
    rows += header
    expected = []
    for n in (1, 2):
        data: list[object] = []
        want: dict[str, object] = {}
        for i, column in enumerate(layout["means"]):
            header_text = next((r[i] for r in reversed(header) if r[i]), "")
            if column is None:
                data.append("—")
            elif column in CELLS:
                written, stored = CELLS[column]
                data.append(written.replace("{n}", str(n)) if isinstance(written, str) else written)
                want[column] = stored.replace("{n}", str(n)) if isinstance(stored, str) else stored
                stated = STATED_UNIT.search(header_text) if column in KEPT_IN else None
                if stated and QUANTITY_UNITS[KEPT_IN[column]].get(stated.group(1), 1.0) != 1.0:  # "里程（m）"
                    want[column] = stored * Decimal(str(QUANTITY_UNITS[KEPT_IN[column]][stated.group(1)]))
            else:  # an amount
                value = Decimal(AMOUNT_BASE.get(column, 100) + 10 * n + i) + Decimal("0.5")
                data.append(float(value))
                unit = read_header(header_text).unit or "万元"  # (every unit_line of the corpus says 万元)
                want[column] = value * TO_WAN.get(unit, Decimal(1))
        rows.append(data)
        expected.append(want)
    path = write_xlsx(folder / f"{layout['id']}.xlsx", {"Sheet1": rows})
    return path, expected


def _wide_ledger(layout: dict[str, Any], folder: Path) -> tuple[Path, list[tuple]]:
    """A wide layout as a workbook: two areas, a number in every indicator and target column; and
    the long rows it must load as: (area, indicator name as headed, actual, target)."""
    header = [_fill(h) for h in layout["header"][-1]]
    rows: list[list[object]] = [[_fill(layout["title"])], header]
    expected = []
    stations = any(kind in ("area", "date") for kind in layout["means"]) or "监测点" in header
    for n, area in enumerate(("青溪桥断面", "白沙渡断面") if stations else ("城关镇", "青石镇"), start=1):
        row: list[object] = []
        for i, kind in enumerate(layout["means"]):
            row.append({"key": area, "period": str(FILL["year"]), "seq_no": str(n), "area": "城关镇",
                        "date": f"{FILL['year']}-0{FILL['month']}-0{n}",
                        "indicator": 10 * n + i + 0.5, "target": 10 * n + i + 0.25}.get(kind or "", "说明"))
        rows.append(row)
        for i, kind in enumerate(layout["means"]):
            if kind == "indicator":
                has_target = i + 1 < len(layout["means"]) and layout["means"][i + 1] == "target"
                expected.append((area, i, row[i], row[i + 1] if has_target else None))
    return write_xlsx(folder / f"{layout['id']}.xlsx", {"Sheet1": rows}), expected


def _wide_loads(layout: dict[str, Any], folder: Path) -> str | None:
    path, expected = _wide_ledger(layout, folder)
    con = duckdb.connect(":memory:")
    [result] = ingest_paths(con, [path])
    if result.status not in ("loaded", "partial") or not result.sheets or result.sheets[0].ledger_type != "indicator":
        return f"{result.status}: {result.error}"
    got = con.execute("SELECT coalesce(station, admin_area), actual_value, target_value FROM raw.indicator_ledger "
                      "ORDER BY source_row, actual_value").fetchall()
    want = sorted(((a, v, t) for a, _, v, t in expected), key=lambda r: (r[0] != expected[0][0], r[1]))
    names = con.execute("SELECT count(DISTINCT indicator_name), count(*) FILTER (WHERE indicator_name IS NULL) "
                        "FROM raw.indicator_ledger").fetchone()
    if names != (len(expected) // 2, 0):
        return f"indicator names: {names} for {len(expected) // 2} indicator columns"
    if "area" in layout["means"] or "date" in layout["means"]:  # a station's row keeps its area and date
        kept = con.execute("SELECT DISTINCT admin_area, sample_date IS NOT NULL FROM raw.indicator_ledger").fetchall()
        want_kept = [("城关镇" if "area" in layout["means"] else FILL["area"], "date" in layout["means"])]
        if kept != want_kept:
            return f"carried area and date: {kept}, want {want_kept}"
    return None if got == want else f"wrong figures: {got} vs {want}"


def _blocks_loads(layout: dict[str, Any], folder: Path) -> str | None:
    """Money by source in column blocks: each row × source with a known fund level loads as a line
    with the block's figures; a source that names no level is refused at its cell, saying so."""
    header = [[_fill(h) for h in row] for row in layout["header"]]
    rows: list[list[object]] = [[_fill(layout["title"])], *header]
    want, refused = [], set()
    levels = list(spec_for("funding").column("fund_level").values)
    for n in (1, 2):
        data: list[object] = []
        lines: dict[str, dict[str, Decimal]] = {}
        for i, column in enumerate(layout["means"]):
            if column and column.startswith("block:"):
                value = Decimal(100 * n + i) + Decimal("0.5")
                data.append(float(value))
                source = re.sub(r"^\d+、", "", header[1][i])
                if column != "block:null":
                    lines.setdefault(source, {})[column.removeprefix("block:")] = value
            elif column in CELLS:
                data.append(CELLS[column][0].replace("{n}", str(n)))
            else:
                data.append("—")
        rows.append(data)
        project = CELLS["project_name"][1].replace("{n}", str(n))
        for source, figures in lines.items():
            if any(source.startswith(level) for level in levels):
                want.append((project, source, figures.get("allocated_amount"), figures.get("spent_amount")))
            else:
                refused.add((project, source))
    path = write_xlsx(folder / f"{layout['id']}.xlsx", {"Sheet1": rows})
    con = duckdb.connect(":memory:")
    [result] = ingest_paths(con, [path])
    if not result.sheets or result.sheets[0].ledger_type != "funding":
        return f"{result.status}: {result.error}"
    got = con.execute("SELECT project_name, fund_program, allocated_amount, spent_amount FROM raw.funding_ledger "
                      "ORDER BY source_row, fund_program").fetchall()
    said = {r for (r,) in con.execute(
        "SELECT raw_value FROM audit.quarantine WHERE column_name = 'fund_level'").fetchall()}
    if sorted(got) != sorted(want):
        return f"wrong figures: {got} vs {want}"
    return None if said == {s for _, s in refused} else f"refused sources {said} vs {refused}"


def _loads(layout: dict[str, Any], folder: Path) -> str | None:
    """None when the layout loads with the right figures; else what went wrong."""
    if layout.get("wide"):
        return _wide_loads(layout, folder)
    if layout.get("blocks"):
        return _blocks_loads(layout, folder)
    path, expected = _ledger(layout, folder)
    con = duckdb.connect(":memory:")
    [result] = ingest_paths(con, [path])
    if result.status not in ("loaded", "partial") or not result.sheets:
        return f"{result.status}: {result.error}"
    spec = spec_for(layout["type"])
    if result.sheets[0].ledger_type != spec.ledger_type:
        return f"read as {result.sheets[0].ledger_type}"
    columns = [c for c in expected[0] if c != "seq_no"]
    got = con.execute(f"SELECT {', '.join(columns)} FROM raw.{spec.table} ORDER BY source_row").fetchall()
    want = [tuple(w[c] for c in columns) for w in expected]
    got = [tuple(str(v) if hasattr(v, "isoformat") else (Decimal(str(v)) if isinstance(v, float) else v) for v in r)
           for r in got]
    if got != want:
        wrong = {c: (g, w) for r_got, r_want in zip(got, want, strict=False)
                 for c, g, w in zip(columns, r_got, r_want, strict=True) if g != w}
        return f"wrong figures (got, want): {wrong}" if len(got) == len(want) else f"rows {got} vs {want}"
    return None


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout["id"] for layout in LAYOUTS])
def test_a_real_layout_loads_or_says_why_not(layout: dict[str, Any], tmp_path: Path) -> None:
    problem = _loads(layout, tmp_path)
    if layout.get("gap"):
        assert problem is not None, f"{layout['id']} loads now: remove its gap ({layout['gap']})"
    else:
        assert problem is None, f"{layout['id']} ({layout['source']}): {problem}"


def test_most_of_the_corpus_loads(tmp_path: Path) -> None:
    loaded = sum(1 for layout in LAYOUTS if _loads(layout, tmp_path) is None)
    share = loaded / len(LAYOUTS)
    print(f"real layouts loaded with the right figures: {loaded}/{len(LAYOUTS)} ({share:.0%})")
    assert share >= FLOOR
    assert all(layout.get("source") for layout in LAYOUTS), "every layout says where it was found"
