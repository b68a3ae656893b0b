"""The sample-ledger generator: determinism, a self-consistent answer key, the mess catalogue."""

from __future__ import annotations

import calendar
import csv
import io
import json
import re
import unicodedata
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from waterwh.config import PACKAGE_DIR
from waterwh.samples import area_rows, build_geography, generate
from waterwh.samples.geography import QINGXI_TOWNS

AMOUNT_KEYS = ("total_investment_wan", "annual_plan_wan", "ytd_completed_wan")
COUNT_KEYS = ("project_count", "started_count", "on_schedule_count", "behind_schedule_count")


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate(out, scale="small", seed=42)
    return out


@pytest.fixture(scope="module")
def key(small: Path) -> dict:
    return json.loads((small / "answer_key.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def county_key(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("county")
    path = generate(out, scale="county", seed=7)
    return json.loads(path.read_text(encoding="utf-8"))


def _read_csv(path: Path) -> tuple[str, list[list[str]]]:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
    else:
        try:
            data.decode("utf-8")
            enc = "utf-8"
        except UnicodeDecodeError:
            enc = "gbk"
    return enc, list(csv.reader(io.StringIO(data.decode(enc))))


@pytest.fixture(scope="module")
def cells(small: Path) -> dict[tuple[str, str], list[list[object]]]:
    """Every sheet of every ledger: (relative path, sheet) → rows of raw cell values."""
    out: dict[tuple[str, str], list[list[object]]] = {}
    for f in sorted(small.rglob("*")):
        rel = f.relative_to(small).as_posix()
        if f.suffix == ".xlsx":
            wb = python_calamine.load_workbook(str(f))
            for name in wb.sheet_names:
                out[(rel, name)] = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        elif f.suffix == ".csv":
            out[(rel, f.stem)] = _read_csv(f)[1]  # type: ignore[assignment]
    return out


def _texts(cells: dict[tuple[str, str], list[list[object]]]) -> list[str]:
    return [v for rows in cells.values() for row in rows for v in row if isinstance(v, str) and v]


# ---- determinism and readability -----------------------------------------------------------


def test_same_seed_gives_identical_bytes(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, scale="small", seed=42)
    first = {p.relative_to(small): p.read_bytes() for p in small.rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [str(p) for p in first if first[p] != second[p]] == []


def test_parallel_workers_write_the_same_bytes(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, scale="small", seed=42, workers=2)
    for p in small.rglob("*"):
        if p.is_file():
            assert (tmp_path / p.relative_to(small)).read_bytes() == p.read_bytes(), p


def test_other_seed_gives_other_figures(key: dict, tmp_path: Path) -> None:
    other = json.loads(generate(tmp_path, scale="small", seed=43).read_text(encoding="utf-8"))
    assert other["investment"]["by_period"] != key["investment"]["by_period"]
    assert [f["path"] for f in other["files"]] == [f["path"] for f in key["files"]]


def test_every_workbook_reads_with_calamine(small: Path, key: dict) -> None:
    on_disk = {p.relative_to(small).as_posix() for p in small.rglob("*") if p.is_file()}
    assert on_disk == {f["path"] for f in key["files"]} | {"answer_key.json"}
    for f in key["files"]:
        if not f["path"].endswith(".xlsx"):
            continue
        wb = python_calamine.load_workbook(str(small / f["path"]))
        assert wb.sheet_names == [s["sheet"] for s in f["sheets"]]
        for name in wb.sheet_names:
            assert wb.get_sheet_by_name(name).to_python()


# ---- answer key: accounting ----------------------------------------------------------------


def test_row_accounting_adds_up(key: dict) -> None:
    quarantined = Counter((q["path"], q["sheet"]) for q in key["quarantine"])
    for f in key["files"]:
        for s in f["sheets"]:
            assert s["rows_read"] == s["rows_loaded"] + s["rows_quarantined"] + s["rows_skipped"]
            assert 0 <= s["rows_subtotal"] <= s["rows_skipped"]
            assert s["rows_quarantined"] == quarantined[(f["path"], s["sheet"])]
            assert s["ledger_scope"] == "青溪县"
            date.fromisoformat(s["report_period_end"])


def test_rows_read_matches_the_sheet(key: dict, cells: dict) -> None:
    """rows_read = rows below the header up to the last non-empty row (titles and headers off)."""
    for f in key["files"]:
        for s in f["sheets"]:
            rows = cells[(f["path"], s["sheet"])]
            last = max(i for i, r in enumerate(rows) if any(v not in ("", None) for v in r))
            h = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
            below = rows[h + 1]
            two_rows = below[0] in ("", None) and any(v not in ("", None) for v in below)
            first = h + 1 + two_rows
            assert last + 1 - first == s["rows_read"], (f["path"], s["sheet"])


def test_quarantine_and_supersede(key: dict) -> None:
    q = key["quarantine"]
    assert {x["column"] for x in q} >= {"project_name", "patrol_date"}
    assert any(x["raw_value"] == "2025-13-45" for x in q)
    assert all(x["row_number"] > 1 and x["why"] for x in q)
    superseded = [f for f in key["files"] if f["superseded"]]
    assert len(superseded) == 1
    original = superseded[0]
    twin = original["path"].replace(".xlsx", "(更正).xlsx")
    corrected = next(f for f in key["files"] if f["path"] == twin)
    for a, b in zip(original["sheets"], corrected["sheets"], strict=True):
        assert (a["ledger_scope"], a["report_period_end"]) == (
            b["ledger_scope"],
            b["report_period_end"],
        )
    assert not any(x["path"] == original["path"] for x in q)


def test_reported_totals(key: dict) -> None:
    rt = key["reported_totals"]
    live = [s for f in key["files"] if not f["superseded"] for s in f["sheets"]]
    assert rt["rows"] == sum(s["rows_subtotal"] for s in live)
    assert rt["count"] == len(rt["entries"])
    assert len(rt["mismatches"]) == 1
    m = rt["mismatches"][0]
    assert m["label"].startswith("合计") and m["reported_value"] != m["computed_value"]
    for e in rt["entries"]:
        if (e["path"], e["row_number"], e["measure"]) != (m["path"], m["row_number"], m["measure"]):
            assert e["reported_value"] == e["computed_value"]


# ---- answer key: investment ----------------------------------------------------------------


def _rate(num: float, den: float) -> float | None:
    if not den:
        return None
    q = (Decimal(str(num)) / Decimal(str(den))).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    return float(q)


def _recompute(projects: list[dict]) -> dict:
    g = {k: 0 for k in COUNT_KEYS}
    sums = {k: Decimal(0) for k in AMOUNT_KEYS}
    non_prep = 0
    for p in projects:
        g["project_count"] += 1
        g["started_count"] += p["status"] not in ("not_started", "preparatory")
        g["on_schedule_count"] += p["on_schedule"] is True
        g["behind_schedule_count"] += p["on_schedule"] is False
        non_prep += p["status"] != "preparatory"
        for k in AMOUNT_KEYS:
            sums[k] += Decimal(str(p[k] or 0))
    out: dict = dict(g)
    out.update({k: float(v) for k, v in sums.items()})
    out["ytd_completion_rate"] = _rate(
        float(sums["ytd_completed_wan"]), float(sums["annual_plan_wan"])
    )
    out["start_rate"] = _rate(g["started_count"], non_prep)
    return out


def _check_groups(by_period: dict) -> None:
    for period, entry in by_period.items():
        all_ = entry["all"]
        for grouping in ("priority_level", "construction_nature", "project_type", "area"):
            groups = entry[grouping].values()
            for k in COUNT_KEYS:
                assert sum(g[k] for g in groups) == all_[k], (period, grouping, k)
            for k in AMOUNT_KEYS:
                total = sum(Decimal(str(g[k])) for g in groups)
                assert float(total) == all_[k], (period, grouping, k)
            for g in groups:
                assert g["ytd_completion_rate"] == _rate(
                    g["ytd_completed_wan"], g["annual_plan_wan"]
                )


def test_investment_groups_sum_to_all(key: dict) -> None:
    by_period = key["investment"]["by_period"]
    ends = [date(2025, m, calendar.monthrange(2025, m)[1]).isoformat() for m in range(1, 13)]
    assert sorted(by_period) == ends
    _check_groups(by_period)
    assert set(by_period["2025-12-31"]["area"]) <= {name for _, name in QINGXI_TOWNS}


def test_investment_projects_reproduce_the_groups(key: dict) -> None:
    for period, projects in key["investment"]["projects"].items():
        assert _recompute(projects) == key["investment"]["by_period"][period]["all"]
        for level, g in key["investment"]["by_period"][period]["priority_level"].items():
            assert _recompute([p for p in projects if p["priority_level"] == level]) == g


def test_project_trajectories(key: dict) -> None:
    """YTD monotone, since-start ≥ YTD, plan constant, 序时 flag clear of the share."""
    history: dict[str, list[tuple[int, dict]]] = {}
    for period, projects in sorted(key["investment"]["projects"].items()):
        month = date.fromisoformat(period).month
        assert len(projects) == 60
        for p in projects:
            history.setdefault(p["project_name"], []).append((month, p))
    assert len(history) == 60
    for name, months in history.items():
        assert [m for m, _ in months] == list(range(1, 13)), name
        plans = {p["annual_plan_wan"] for _, p in months}
        assert len(plans) == 1, name
        prev_ytd = prev_since = 0.0
        for month, p in months:
            ytd, since, plan = (
                p["ytd_completed_wan"],
                p["since_start_completed_wan"],
                p["annual_plan_wan"],
            )
            if ytd is not None:
                assert ytd >= prev_ytd and since is not None and since >= ytd
                assert since >= prev_since and since <= p["total_investment_wan"]
                prev_ytd, prev_since = ytd, since
            if plan:
                share = month / 12
                rate = (ytd or 0) / plan
                assert abs(rate - share) >= 0.002, (name, month)
                assert p["on_schedule"] is (rate >= share)
            else:
                assert p["on_schedule"] is None
            assert (p["delay_reason_category"] is None) is (p["on_schedule"] is not False)


def test_portfolio_has_the_required_mix(key: dict) -> None:
    dec = key["investment"]["projects"]["2025-12-31"]
    jan = key["investment"]["projects"]["2025-01-31"]
    assert Counter(p["status"] for p in dec)["preparatory"] == 5
    assert Counter(p["status"] for p in jan)["not_started"] >= 3
    assert {p["priority_level"] for p in dec} == {"provincial", "city", "county", "none"}
    assert {"complete", "substantially_complete", "operating"} <= {p["status"] for p in dec}
    assert any(p["parent_project"] for p in dec)
    assert len({p["project_type"] for p in dec}) >= 8
    assert any(
        p.get("delay_reason_categories") == ["DESIGN", "FUNDING"]
        for ps in key["investment"]["projects"].values()
        for p in ps
    )
    aliases = {p.get("written_name") for ps in key["investment"]["projects"].values() for p in ps}
    assert "龙潭旅游区水系连通工程" in aliases
    assert any(p["project_name"] == "龙潭景区水系连通工程" for p in dec)


def test_ledger_sums_match_the_key(key: dict, cells: dict) -> None:
    """Read every live investment ledger's 年度累计 column and compare with the key."""
    for f in key["files"]:
        if f["ledger_type"] != "investment" or f["superseded"]:
            continue
        sheet = f["sheets"][0]
        rows = cells[(f["path"], sheet["sheet"])]
        h = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
        headers = [_norm(f"{a}_{b}") for a, b in zip(rows[h], rows[h + 1], strict=True)]
        col = next(
            i
            for i, t in enumerate(headers)
            if re.search(r"年度累计完成|^1-\d+月累计完成|^_累计完成\(亿元\)$", t)
        )
        factor = Decimal(10000) if "亿元" in headers[col] else Decimal(1)
        total = Decimal(0)
        for r in rows[h + 1 :]:
            if isinstance(r[0], str) and r[0].isdigit() and r[1]:
                total += _number(r[col]) * factor
        period = sheet["report_period_end"]
        assert float(total) == key["investment"]["by_period"][period]["all"]["ytd_completed_wan"]


def _norm(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def _number(v: object) -> Decimal:
    if isinstance(v, int | float):
        return Decimal(str(v))
    t = re.sub(r"##\w+##", "", _norm(v)).replace(",", "")
    return Decimal(0) if t in ("", "—", "/") else Decimal(t)


# ---- answer key: the other ledgers ---------------------------------------------------------


def test_funding(key: dict) -> None:
    fund = key["funding"]
    loans = [ln for ln in fund["lines"] if ln["fund_level"] == "loan"]
    assert len(loans) == 1 and loans[0]["currency"] == "EUR" and loans[0]["allocated_wan"] is None
    (d,) = fund["loan_drawdowns"]
    assert d == {
        "county": "青溪县",
        "amount_original": 341645.61,
        "currency": "EUR",
        "fx_rate": 7.7123,
        "amount_wan": 263.49,
        "event_date": "2025-11-06",
    }
    wan = Decimal("341645.61") * Decimal("7.7123") / 10000
    assert float(wan.quantize(Decimal("0.01"), ROUND_HALF_UP)) == d["amount_wan"]
    summed: dict[tuple, list[Decimal]] = {}
    for ln in fund["lines"]:
        if ln["fund_level"] == "loan":
            continue
        acc = summed.setdefault(
            (ln["period_end"], ln["fund_level"], ln["fund_program"]), [Decimal(0)] * 3
        )
        for i, k in enumerate(("allocated_wan", "received_wan", "spent_wan")):
            acc[i] += Decimal(str(ln[k]))
        assert ln["spent_wan"] <= ln["received_wan"] <= ln["allocated_wan"]
    rows = fund["by_period_level_program"]
    assert len(rows) == len(summed)
    for r in rows:
        a, rec, s = summed[(r["report_period_end"], r["fund_level"], r["fund_program"])]
        assert (r["allocated_wan"], r["received_wan"], r["spent_wan"]) == (
            float(a),
            float(rec),
            float(s),
        )
        assert r["receipt_rate"] == _rate(float(rec), float(a))
        assert r["spend_rate"] == _rate(float(s), float(rec))
    assert {r["fund_level"] for r in rows} == {"central", "provincial", "city", "county", "bond"}


def test_counts_of_the_event_ledgers(key: dict) -> None:
    p = key["patrol"]
    assert sum(p["by_chief_level"].values()) == p["events"] > 500
    assert set(p["by_chief_level"]) == {"city", "county", "township", "village"}
    assert sum(p["by_handling_status"].values()) <= p["issues_found"]
    r = key["river_issue"]
    assert sum(r["by_category"].values()) == sum(r["by_rectify_status"].values()) == r["count"]
    assert set(r["by_category"]) <= {"occupation", "extraction", "dumping", "construction"}
    e = key["enforcement"]
    assert sum(e["by_violation_type"].values()) == e["cases"] >= e["filed"] >= e["closed"]
    assert e["penalty_wan"] > 0
    a = key["approval"]
    assert sum(a["by_status"].values()) == a["milestones"] > 10


def test_indicators(key: dict) -> None:
    values = key["indicator"]["values"]
    by_name = Counter(v["indicator_name"] for v in values)
    assert by_name["冬春蓄水量"] == 9  # eight towns and the county
    storage = [v for v in values if v["indicator_name"] == "冬春蓄水量"]
    county = next(v for v in storage if v["area_name"] == "青溪县")
    towns = [v for v in storage if v["area_name"] != "青溪县"]
    assert county["actual_value"] == 6636.0 and county["target_value"] == 6415.36
    assert float(sum(Decimal(str(v["actual_value"])) for v in towns)) == 6636.0
    assert county["period_start"] == "2024-11-01" and county["period_end"] == "2025-04-30"
    qualifiers = {(v["indicator_name"], v["qualifier"]) for v in values if v["qualifier"]}
    assert {
        ("水资源费征收", "approx"),
        ("断面水质优良率", "ge"),
        ("水土流失治理面积", "gt"),
    } <= qualifiers
    fai = next(v for v in values if v["indicator_name"] == "水利管理业固定资产投资")
    assert (fai["unit"], fai["actual_value"]) == ("万元", 119700.0)
    assert all(0 <= v["actual_value"] <= 1 for v in values if v["unit"] == "%")
    gdp = next(v for v in values if v["indicator_name"] == "单位GDP用水量")
    assert gdp["direction"] == "lower_better"


# ---- the mess catalogue is really there ----------------------------------------------------


def test_mess_in_cells(cells: dict) -> None:
    texts = _texts(cells)
    joined = "\n".join(texts)
    assert re.search(r"[０-９]{2,}．[０-９]", joined), "full-width digits"
    assert "341，645.61" in texts, "Chinese-comma thousands separator"
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+\.\d+", t) for t in texts), "thousands separator"
    assert "##paidbegin##" in joined
    assert "\xa0" in joined and "\u2003" in joined
    assert {"—", "/"} <= set(texts)
    for word in (
        "基本完工",
        "超90%",
        "70％以上",
        "约2395",
        "97%以上",
        "2万余",
        "6636万m³",
        "2024－2025年冬春",
        "上半年",
        "2025年1-6月",
        "2025年度",
        "设计变更及资本金到位迟缓",
        "龙潭旅游区水系连通工程",
        "龙潭景区水系连通工程",
        "罚没款(元)",
        "2025-13-45",
    ):
        assert word in joined, word
    assert any(t.startswith("注：") for t in texts) and any(t.startswith("填报人") for t in texts)
    assert any(t.startswith((" ", "\n")) and "\n" in t for t in texts), "title with break"
    assert any(re.fullmatch(r"2025年\d{1,2}月\d{1,2}日", t) for t in texts)
    assert any(re.fullmatch(r"2025/\d{1,2}/\d{1,2}", t) for t in texts)


def test_mess_in_structure(small: Path, key: dict, cells: dict) -> None:
    headers = {_norm(v) for rows in cells.values() for row in rows[:6] for v in row if v}
    assert {"总投资(亿元)", "投资完成情况(万元)", "2025年", "本月完成"} <= headers
    merged_headers = 0
    for f in small.glob("投资/*.xlsx"):
        wb = openpyxl.load_workbook(f, read_only=False)
        for ws in wb.worksheets:
            merged_headers += any(
                r.min_row != r.max_row or r.max_col - r.min_col >= 1
                for r in ws.merged_cells.ranges
                if 2 <= r.min_row <= 5 and r.max_col < ws.max_column
            )
    assert merged_headers >= 3
    # Subtotals, groups, totals, repeated headers, blank spacers.
    labels = [str(r[0]) + str(r[1]) for rows in cells.values() for r in rows if len(r) > 1]
    assert any("小计" in t for t in labels) and any(t.startswith("合计") for t in labels)
    assert any(
        t.startswith("序号") for rows in cells.values() for t in [str(r[0]) for r in rows[5:]]
    ), "a repeated header row"
    # Two sheets of different ledger types in one workbook.
    mixed = [f for f in key["files"] if len({s["ledger_type"] for s in f["sheets"]}) > 1]
    assert mixed and mixed[0]["ledger_type"] == "mixed"
    # Both CSV encodings.
    encodings = {_read_csv(p)[0] for p in small.rglob("*.csv")}
    assert {"gbk", "utf-8-sig"} <= encodings
    # Real dates and Excel serials in patrol logs.
    patrol = [rows for (path, _), rows in cells.items() if "巡河" in path]
    values = [r[6] for rows in patrol for r in rows[4:] if len(r) > 6]
    assert any(isinstance(v, date) for v in values)
    assert any(isinstance(v, float) and 45658 <= v <= 46022 for v in values)


def test_period_sources(key: dict, cells: dict) -> None:
    """One investment month states its period only in the sheet name, one only in the file name."""
    only_sheet = only_file = 0
    for f in key["files"]:
        if f["ledger_type"] != "investment":
            continue
        sheet = f["sheets"][0]["sheet"]
        rows = cells[(f["path"], sheet)]
        h = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
        title = " ".join(str(v) for r in rows[:h] for v in r if v)
        if not re.search(r"\d", title):
            if re.search(r"\d{4}年\d{1,2}月", sheet):
                only_sheet += 1
            else:
                only_file += 1
    assert only_sheet >= 1 and only_file >= 1


# ---- larger scales and geography -----------------------------------------------------------


def test_county_scale(county_key: dict) -> None:
    assert len(county_key["generator"]["counties"]) == 8
    assert "青溪县" in county_key["generator"]["counties"]
    _check_groups(county_key["investment"]["by_period"])
    dec = county_key["investment"]["projects"]["2025-12-31"]
    assert len(dec) == 8 * 60
    assert county_key["investment"]["by_period"]["2025-12-31"]["all"]["project_count"] == 480
    for f in county_key["files"]:
        assert f["path"].startswith("云溪市/")
        for s in f["sheets"]:
            assert s["rows_read"] == s["rows_loaded"] + s["rows_quarantined"] + s["rows_skipped"]
    assert len(county_key["funding"]["loan_drawdowns"]) == 8


def test_geography() -> None:
    small = build_geography("small")
    (qingxi,) = small.counties
    assert (qingxi.code, qingxi.name, qingxi.city_name) == ("990123", "青溪县", "云溪市")
    assert [(t.code, t.name) for t in qingxi.towns] == list(QINGXI_TOWNS)
    province = build_geography("province")
    assert len(province.cities) == 16
    assert all(len(c.counties) == 8 for c in province.cities)
    assert all(6 <= len(c.towns) <= 8 for c in province.counties)
    rows = area_rows("province")
    assert len({r["area_code"] for r in rows}) == len(rows)
    assert len({r["area_name"] for r in rows}) == len(rows)
    assert all(re.fullmatch(r"99\d{2}00", c.code) for c in province.cities)
    assert build_geography("province") == province  # no randomness
    seed = (PACKAGE_DIR / "dbt_project" / "seeds" / "admin_areas.csv").read_text(encoding="utf-8").splitlines()
    assert seed[1:] == [f"{r['area_code']},{r['area_name']},{r['level']},{r['parent_code']}" for r in rows], (
        "the admin_areas seed is the generated province's geography")
