"""水资源指标台账: per-town and county indicator values against targets.

Two workbooks per county and year: the half-year one (冬春蓄水量 of the 2024－2025 winter-spring
season, fees, rural sewage treatment rate …) and the annual assessment one (用水总量, 单位GDP用水量
(lower is better), 水利管理业固定资产投资 in 亿元 …). Mess: approximate text values ("约2395",
"97%以上", "2万余"), the unit in the cell instead of the unit column ("6636万m³"), percentages as
text, full-width digits, NBSP/em-space around names, mixed 统计期 strings.

Answer-key conventions: percentages are fractions (68.05% → 0.6805) with unit "%"; money is
converted to 万元 (亿元 × 10000); other units as the indicator dimension writes them (万m³,
m³/万元), so compare units NFKC-insensitively (a parser may see 万m3).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from waterwh.samples import cells
from waterwh.samples.geography import QINGXI_CODE, County
from waterwh.samples.names import person
from waterwh.samples.sheet import Kind, Sheet
from waterwh.samples.truth import CountyTruth, IndicatorValue
from waterwh.samples.writers import LedgerFile


@dataclass
class Row:
    name: str
    area: str
    unit: str  # as written in the unit column ("" when the value cells carry it)
    unit_key: str
    target: str | float | None  # as written
    actual: str | float | None
    target_value: float | None  # in the answer key's unit
    actual_value: float | None
    qualifier: str | None
    period_label: str
    period: tuple[date, date]
    direction: str = "higher_better"
    remark: str | None = None


def _split(total_hundredths: int, parts: int, rng: random.Random) -> list[int]:
    """Split an integer into `parts` positive integers of comparable size."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    s = sum(weights)
    out = [int(total_hundredths * w / s) for w in weights]
    out[-1] += total_hundredths - sum(out)
    return out


def _follow(targets: list[int], total: int, rng: random.Random) -> list[int]:
    """Per-town actuals near their targets that add up to the county's actual."""
    out = [round(t * rng.uniform(0.95, 1.1)) for t in targets]
    biggest = out.index(max(out))
    out[biggest] += total - sum(out)
    if out[biggest] <= 0:
        return _split(total, len(targets), rng)
    return out


def _d2(hundredths: int) -> float:
    return float(Decimal(hundredths) / 100)


def _pct(rng: random.Random, lo: float, hi: float) -> tuple[str, float]:
    """A percentage written with two decimals and its fraction."""
    hundredths = rng.randint(int(lo * 100), int(hi * 100))  # 6805 → 68.05%
    return f"{hundredths / 100:.2f}%", float(Decimal(hundredths) / 10000)


def _half_year_rows(county: County, year: int, rng: random.Random) -> list[Row]:
    C = county.name
    qingxi = county.code == QINGXI_CODE and year == 2025
    season = (date(year - 1, 11, 1), date(year, 4, 30))
    season_label = f"{year - 1}－{year}年冬春"
    h1 = (date(year, 1, 1), date(year, 6, 30))
    rows: list[Row] = []
    target_total = 641536 if qingxi else rng.randint(300000, 900000)
    actual_total = 663600 if qingxi else round(target_total * rng.uniform(0.94, 1.08))
    targets = _split(target_total, len(county.towns), rng)
    actuals = _follow(targets, actual_total, rng)
    for town, t, a in zip(county.towns, targets, actuals, strict=True):
        rows.append(
            Row(
                "冬春蓄水量",
                town.name,
                "万m³",
                "万m³",
                _d2(t),
                _d2(a),
                _d2(t),
                _d2(a),
                None,
                season_label,
                season,
            )
        )
    t_text = f"{_d2(target_total):.2f}".rstrip("0").rstrip(".")
    a_text = f"{_d2(actual_total):.2f}".rstrip("0").rstrip(".")
    rows.append(
        Row(
            "冬春蓄水量",
            C,
            "",
            "万m³",
            f"{t_text}万m³",
            f"{a_text}万m³",
            _d2(target_total),
            _d2(actual_total),
            None,
            season_label,
            season,
            remark=f"超{_d2(actual_total - target_total):.2f}万m³"
            if actual_total > target_total
            else None,
        )
    )
    fee_plan = 250000 if qingxi else rng.randint(150000, 400000)
    fee = round(fee_plan * rng.uniform(0.42, 0.55))
    rows.append(
        Row(
            "水资源费征收",
            C,
            "万元",
            "万元",
            _d2(fee_plan),
            _d2(fee),
            _d2(fee_plan),
            _d2(fee),
            None,
            f"{year}年1-6月",
            h1,
        )
    )
    comp = rng.randint(3000, 9000)
    rows.append(
        Row(
            "水土保持补偿费征收",
            C,
            "万元",
            "万元",
            cells.DASH_EMPTY,
            _d2(comp),
            None,
            _d2(comp),
            None,
            "上半年",
            h1,
        )
    )
    for town in county.towns:
        text, frac = _pct(rng, 55, 95)
        rows.append(
            Row(
                "农村生活污水治理率",
                town.name,
                "%",
                "%",
                "75%",
                text,
                0.75,
                frac,
                None,
                "上半年",
                h1,
            )
        )
    rows.append(
        Row(
            "断面水质优良率",
            C,
            "%",
            "%",
            "90%",
            "100%",
            0.9,
            1.0,
            None,
            f"{year}年1-6月",
            h1,
            remark="国控省控断面6个",
        )
    )
    rows.append(
        Row("水土流失治理面积", C, "亩", "亩", 20000, "2万余", 20000.0, 20000.0, "gt", "上半年", h1)
    )
    return rows


def _annual_rows(county: County, year: int, rng: random.Random) -> list[Row]:
    C = county.name
    qingxi = county.code == QINGXI_CODE and year == 2025
    yr = (date(year, 1, 1), date(year, 12, 31))
    label = f"{year}年度"
    rows: list[Row] = []
    use_t = rng.randint(800000, 1200000)
    use_a = round(use_t * rng.uniform(0.9, 0.99))
    rows.append(
        Row(
            "用水总量",
            C,
            "万m³",
            "万m³",
            _d2(use_t),
            _d2(use_a),
            _d2(use_t),
            _d2(use_a),
            None,
            label,
            yr,
            direction="lower_better",
        )
    )
    g_t = rng.randint(4000, 5200)
    g_a = g_t - rng.randint(100, 500)
    rows.append(
        Row(
            "单位GDP用水量",
            C,
            "m³/万元",
            "m³/万元",
            _d2(g_t),
            _d2(g_a),
            _d2(g_t),
            _d2(g_a),
            None,
            label,
            yr,
            direction="lower_better",
            remark="单位地区生产总值用水量",
        )
    )
    fee_a = 2395 if qingxi else rng.randint(1500, 4000)
    rows.append(
        Row(
            "水资源费征收",
            C,
            "万元",
            "万元",
            2500.0 if qingxi else float(fee_a + 100),
            f"约{fee_a}",
            2500.0 if qingxi else float(fee_a + 100),
            float(fee_a),
            "approx",
            label,
            yr,
        )
    )
    comp = 14510 if qingxi else rng.randint(6000, 20000)
    rows.append(
        Row(
            "水土保持补偿费征收",
            C,
            "万元",
            "万元",
            cells.SLASH_EMPTY,
            cells.fullwidth(f"{_d2(comp):.1f}") if comp % 10 == 0 else _d2(comp),
            None,
            _d2(comp),
            None,
            label,
            yr,
        )
    )
    inv_t, inv_a = (1200, 1197) if qingxi else (rng.randint(800, 1600), rng.randint(700, 1700))
    rows.append(
        Row(
            "水利管理业固定资产投资",
            C,
            "亿元",
            "万元",
            inv_t / 100,
            inv_a / 100,
            float(inv_t * 100),
            float(inv_a * 100),
            None,
            label,
            yr,
            remark=f"同比增长{rng.randint(300, 2900) / 100:.2f}％",
        )
    )
    rows.append(Row("断面水质优良率", C, "%", "%", "95%", "97%以上", 0.95, 0.97, "ge", label, yr))
    for town in county.towns:
        text, frac = _pct(rng, 60, 98)
        if rng.random() < 0.25:
            text = cells.fullwidth(text)
        rows.append(
            Row("农村生活污水治理率", town.name, "%", "%", "80%", text, 0.8, frac, None, label, yr)
        )
    return rows


def _sheet(
    county: County, title: list[str], name: str, end: date, rows: list[Row], rng: random.Random
) -> Sheet:
    sh = Sheet(name, "indicator", county.name, end, 9, title)
    sh.header = [
        ["序号", "指标名称", "行政区", "单位", "目标值", "完成值", "完成率", "统计期", "备注"]
    ]
    sh.col_widths = [6, 22, 10, 9, 12, 14, 9, 18, 26]
    for i, r in enumerate(rows, start=1):
        if r.target_value and r.actual_value is not None and r.direction == "higher_better":
            done = cells.pct_text(r.actual_value / r.target_value)
        else:
            done = cells.DASH_EMPTY
        name = cells.padded(r.name, i) if i % 5 == 0 else r.name
        sh.add(
            Kind.DATA,
            [
                str(i),
                name,
                r.area,
                r.unit or None,
                r.target,
                r.actual,
                done,
                r.period_label,
                r.remark,
            ],
        )
    sh.footnote("注：蓄水量为冬春蓄水期（上年11月至当年4月）数据。")
    sh.footnote(f"填报人：{person(rng)}    审核人：{person(rng)}")
    return sh


def _record(truth: CountyTruth, rows: list[Row]) -> None:
    for r in rows:
        truth.indicators.append(
            IndicatorValue(
                r.name,
                r.area,
                r.unit_key,
                r.period[0].isoformat(),
                r.period[1].isoformat(),
                r.target_value,
                r.actual_value,
                r.qualifier,
                r.direction,
            )
        )


def indicator_files(
    county: County, years: list[int], prefix: str, rng: random.Random, truth: CountyTruth
) -> list[LedgerFile]:
    files = []
    C = county.name
    for year in years:
        h1 = _half_year_rows(county, year, rng)
        # 水土保持 is the 水保站's: its own ledger of the same type, county and half-year, which
        # stands beside the 水资源 one (it is no version of it)
        conservation = [r for r in h1 if r.name.startswith("水土")]
        water = [r for r in h1 if not r.name.startswith("水土")]
        sh = _sheet(
            county,
            [f"  {C}{year}年上半年水资源管理指标完成情况"],
            "上半年",
            date(year, 6, 30),
            water,
            rng,
        )
        files.append(LedgerFile(f"{prefix}水资源/{C}{year}年上半年水资源指标台账.xlsx", [sh]))
        sh = _sheet(county, [f"{C}{year}年上半年水土保持工作指标台账（水保站）"], "水土保持", date(year, 6, 30),
                    conservation, rng)
        files.append(LedgerFile(f"{prefix}水土保持/{C}{year}年上半年水土保持指标台账.xlsx", [sh]))
        annual = _annual_rows(county, year, rng)
        sh = _sheet(
            county,
            [f"{C}{year}年度水资源管理指标考核台账", "（考核年度）"],
            "年度考核",
            date(year, 12, 31),
            annual,
            rng,
        )
        files.append(LedgerFile(f"{prefix}水资源/{C}{year}年度水资源指标考核台账.xlsx", [sh]))
        _record(truth, h1)
        _record(truth, annual)
    return files
