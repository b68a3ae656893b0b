"""Property: an investment ledger drawn from real header spellings, unit placements, period
spellings and row layouts loads with the figures written in it.

The spellings are the ones real systems use (tests/corpus/real_layouts.yaml and the domain guide);
Hypothesis combines them as no single template does: which words a header uses, where its unit
sits (either bracket width, after a line break, a 单位 line above the table, 亿元 or 万元), how the
title spells the period, and whether a column-number row, a 合计 row or a 填表说明 block is there.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.workbooks import write_xlsx
from waterwh.ingest.files import ingest_paths

# column → real spellings of its header (without unit)
SPELLINGS = {
    "project_name": ["项目名称", "工程名称", "项目（工程）名称", "建设项目名称"],
    "total_investment": ["总投资", "项目总投资", "计划总投资", "总投资额", "概算总投资", "项目\n总投资"],
    "annual_plan": ["年度计划投资", "{year}年计划投资", "{year}年度计划投资", "本年度安排计划投资", "年计划完成投资",
                    "本年度投资计划"],
    "ytd_completed": ["年度累计完成", "1-{month}月完成投资", "{year}年1-{month}月累计完成投资",
                      "1-{month}月实际完成投资", "本年度累计完成投资", "年初至报告期累计完成投资", "本年累计完成"],
    "since_start_completed": ["开工以来累计完成", "自开工以来累计完成投资", "开工至报告期累计完成投资",
                              "开工累计完成投资", "累计完成投资"],
    "period_completed": ["本月完成", "当月完成投资", "{month}月完成投资", "本月实际完成投资", "月完成\n投资"],
}
TITLES = ["青溪县{year}年1-{month}月重点项目投资完成情况表", "青溪县重点项目投资台账（{year}年1-{month}月）",
          "青溪县{year}年{month}月重点项目月报表", "截至{year}年{month}月底青溪县重点项目投资进度"]
UNITS = {"万元": Decimal(1), "亿元": Decimal(10000)}


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[list[object]], list[dict[str, Decimal | str]]]:
    year, month = draw(st.sampled_from([2024, 2025])), draw(st.integers(3, 11))
    columns = ["project_name", *draw(st.permutations(list(SPELLINGS)[1:]))]
    unit = draw(st.sampled_from(list(UNITS)))
    placement = draw(st.sampled_from(["half", "full", "newline", "line_above", "none"]))
    header = ["序号"]
    for column in columns:
        text = draw(st.sampled_from(SPELLINGS[column])).format(year=year, month=month)
        if column != "project_name" and placement != "line_above" and placement != "none":
            text += {"half": f"({unit})", "full": f"（{unit}）", "newline": f"\n（{unit}）"}[placement]
        header.append(text)
    if placement == "none":
        unit = "万元"  # no unit anywhere: the spec's own
    rows: list[list[object]] = [[draw(st.sampled_from(TITLES)).format(year=year, month=month)]]
    if placement == "line_above":
        rows.append([f"单位：{unit}"])
    rows.append(header)
    if draw(st.booleans()):
        rows.append([str(i) for i in range(1, len(header) + 1)])  # the columns' numbers
    projects = draw(st.integers(1, 4))
    values = []
    for n in range(1, projects + 1):
        v = {"project_name": f"青石镇{n}号河道整治工程", "total_investment": Decimal(900 + n),
             "since_start_completed": Decimal(500 + n), "annual_plan": Decimal(300 + n),
             "ytd_completed": Decimal(200 + n), "period_completed": Decimal(30 + n)}
        values.append(v)
    if draw(st.booleans()):  # a 合计 row right under the header, the count as text
        total = {c: sum(v[c] for v in values) for c in columns[1:]}
        rows.append(["合计", f"{projects}个", *[float(total[c]) for c in columns[1:]]])
    for n, v in enumerate(values, start=1):
        rows.append([str(n), *[v[c] if c == "project_name" else float(v[c]) for c in columns]])
    if draw(st.booleans()):
        rows.append(["填表说明：本表每月5日前报送。"])
    want = [{c: (v[c] if c == "project_name" else v[c] * UNITS[unit]) for c in columns} for v in values]
    return rows, want


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_a_ledger_of_real_spellings_loads_with_its_figures(ledger: tuple[list[list[object]], list[dict]]) -> None:
    rows, want = ledger
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsx(Path(folder) / "台账.xlsx", {"S": rows})
        con = duckdb.connect(":memory:")
        [result] = ingest_paths(con, [path])
        assert result.status == "loaded", (result.error, rows[:4])
        columns = list(want[0])
        got = con.execute(f"SELECT {', '.join(columns)} FROM raw.investment_ledger ORDER BY source_row").fetchall()
    assert [dict(zip(columns, r, strict=True)) for r in got] == want, rows[:4]
