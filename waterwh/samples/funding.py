"""资金台账: one cumulative statement per county per quarter (下达 / 到位 / 已支出, 万元).

Lines are grouped by level; every level opens with a category row ("中央资金", 资金名称 empty)
that states its subtotal ABOVE its components, and a 合计 row closes the sheet. The 合计 leaves
out the loan. Q4 carries the one AFD loan drawdown (法开署贷款, 提款, in EUR with the Chinese
comma as thousands separator, no 万元 allocated amount). Q2 writes some amounts as text
(thousands separators, full-width digits); Q3 is a UTF-8-with-BOM CSV.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from waterwh.samples import cells
from waterwh.samples.cells import Amount
from waterwh.samples.geography import QINGXI_CODE, County
from waterwh.samples.names import county_rivers, doc_no, person
from waterwh.samples.portfolio import Project
from waterwh.samples.sheet import Kind, Sheet, Stated
from waterwh.samples.truth import CountyTruth, Drawdown, FundingLine
from waterwh.samples.writers import LedgerFile

LEVELS: tuple[tuple[str, str, str, str], ...] = (
    # code, component label, category label, issuer of documents
    ("central", "中央", "中央资金", "财农"),
    ("provincial", "省级", "省级资金", "江财农"),
    ("city", "市本级", "市本级资金", "云财建"),
    ("county", "县级", "县级资金", "县财预"),
    ("bond", "债券", "债券资金", "江财债"),
)
PROGRAMS: tuple[tuple[str, str], ...] = (
    ("central", "中央水利发展资金"),
    ("central", "中央水利发展资金"),
    ("central", "中央农业防灾减灾和水利救灾资金"),
    ("central", "中央预算内资金"),
    ("provincial", "省级水利救灾资金"),
    ("provincial", "省级水利专项资金"),
    ("provincial", "小型水库安全运行省级一般债券补助资金"),
    ("city", "市本级水利建设资金"),
    ("county", "县级配套资金"),
    ("county", "县级配套资金"),
    ("bond", "新增专项债券资金"),
)
QINGXI_LOAN = ("341645.61", "7.7123", date(2025, 11, 6))


@dataclass
class Grant:
    level: str
    program: str
    project: str | None
    doc: str
    allocated: Amount
    first_quarter: int
    received: list[Amount] = field(default_factory=list)  # cumulative, per quarter 1..4
    spent: list[Amount] = field(default_factory=list)


def _grants(county: County, projects: list[Project], year: int, rng: random.Random) -> list[Grant]:
    pool = [p for p in projects if p.role in ("build", "finish", "late_start")]
    grants = []
    for level, program in PROGRAMS:
        issuer = next(i for code, _, _, i in LEVELS if code == level)
        if level == "county":
            issuer = county.short + "财预"
        allocated = rng.randint(30 * 100, 1800 * 100)
        q0 = rng.choices((1, 2, 3, 4), (5, 3, 2, 1))[0]
        g = Grant(level, program, rng.choice(pool).name, doc_no(rng, issuer, year), allocated, q0)
        rec = spent = 0
        final_share = rng.choice((1.0, 1.0, rng.uniform(0.55, 0.98)))  # of the allocation by Q4
        for q in range(1, 5):
            if q < q0:
                g.received.append(0)
                g.spent.append(0)
                continue
            step = final_share * (q - q0 + 1) / (5 - q0)
            rec = max(rec, min(allocated, round(allocated * step * rng.uniform(0.85, 1.0))))
            if q == 4:
                rec = max(rec, round(allocated * final_share))
            spent = min(rec, max(spent, round(rec * rng.uniform(0.2, 0.9))))
            g.received.append(rec)
            g.spent.append(spent)
        grants.append(g)
    return grants


def _loan(county: County, year: int, rng: random.Random) -> tuple[str, str, date]:
    if county.code == QINGXI_CODE and year == 2025:
        return QINGXI_LOAN
    amount = f"{rng.randint(100_000_00, 900_000_00) / 100:.2f}"
    fx = f"{rng.uniform(7.55, 7.95):.4f}"
    return amount, fx, date(year, rng.choice((10, 11, 12)), rng.randint(1, 28))


def loan_wan(amount_original: str, fx_rate: str) -> Amount:
    """EUR × CNY/EUR → 万元, rounded half-up to 0.01万元, as an Amount."""
    wan = Decimal(amount_original) * Decimal(fx_rate) / Decimal(10000)
    return int((wan * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _money(a: Amount, rng: random.Random, texty: bool) -> cells.Cell:
    if texty and a >= 100_000 and rng.random() < 0.35:
        return cells.thousands(cells.fixed(cells.wan(a), 2))
    if texty and rng.random() < 0.1:
        return cells.fullwidth(cells.fixed(cells.wan(a), 2))
    return cells.wan(a)


def _quarter_sheet(
    county: County,
    year: int,
    q: int,
    grants: list[Grant],
    loan: tuple[str, str, date] | None,
    rng: random.Random,
    texty: bool,
    prefix_rivers: list[str],
) -> Sheet:
    last_month = 3 * q
    end = date(year, last_month, calendar.monthrange(year, last_month)[1])
    titles = [
        f"{county.name}{year}年水利项目资金到位及支出情况台账",
        f"截至{year}年{last_month}月{end.day}日",
        "单位：万元",
    ]
    sh = Sheet(f"{q}季度" if q != 4 else "资金台账", "funding", county.name, end, 1, titles)
    head = [
        "序号",
        "资金来源",
        "资金名称",
        "项目名称",
        "下达文号",
        "下达金额",
        "到位金额",
        "已支出",
    ]
    fx_cols = ["币种", "原币金额", "汇率", "提款日期"] if loan else []
    head += [*fx_cols, "备注"]
    sh.header = [head]
    sh.width = len(head)
    sh.col_widths = [6, 10, 34, 34, 18, 12, 12, 12, *([8, 14, 9, 12] if loan else []), 14]
    listed = [g for g in grants if g.first_quarter <= q]
    cn_seq = "一二三四五六七八"
    n_cat = 0
    n_line = 0
    measures = ("allocated_amount", "received_amount", "spent_amount")

    def values(g: Grant) -> tuple[Amount, Amount, Amount]:
        return g.allocated, g.received[q - 1], g.spent[q - 1]

    for code, comp_label, cat_label, _ in LEVELS:
        members = [g for g in listed if g.level == code]
        if not members:
            continue
        sums = [sum(values(g)[i] for g in members) for i in range(3)]
        stated = [Stated(cat_label, m, s, s) for m, s in zip(measures, sums, strict=True)]
        sh.add(
            Kind.SUBTOTAL,
            [cn_seq[n_cat], cat_label, None, None, None, *(cells.wan(s) for s in sums)],
            stated=stated,
        )
        n_cat += 1
        for g in members:
            n_line += 1
            a, r, s = values(g)
            sh.add(
                Kind.DATA,
                [
                    str(n_line),
                    comp_label,
                    g.program,
                    g.project,
                    g.doc,
                    _money(a, rng, texty),
                    _money(r, rng, texty),
                    _money(s, rng, texty),
                    *(["人民币", None, None, None] if loan else []),
                    None,
                ],
            )
    if loan:
        amount, fx, when = loan
        n_line += 1
        project = f"{prefix_rivers[0]}流域生态保护和修复示范项目"
        sh.add(
            Kind.DATA,
            [
                str(n_line),
                "贷款",
                "法开署贷款",
                project,
                None,
                None,
                None,
                None,
                "欧元",
                cells.thousands(amount, "，"),
                float(fx),
                when,
                "首次提款",
            ],
        )
    sums = [sum(values(g)[i] for g in listed) for i in range(3)]
    stated = [Stated("合计", m, s, s) for m, s in zip(measures, sums, strict=True)]
    sh.add(
        Kind.TOTAL, [None, "合计", None, None, None, *(cells.wan(s) for s in sums)], stated=stated
    )
    sh.footnote(
        "注：合计不含法开署贷款（外币，按提款日汇率折算）。"
        if loan
        else "注：资金来源分类行为该类资金小计。"
    )
    sh.footnote(f"填报人：{person(rng)}    审核人：{person(rng)}")
    return sh


def funding_files(
    county: County,
    projects: list[Project],
    years: list[int],
    prefix: str,
    rng: random.Random,
    truth: CountyTruth,
) -> list[LedgerFile]:
    files = []
    rivers = county_rivers(county)
    for year in years:
        grants = _grants(county, projects, year, rng)
        loan = _loan(county, year, rng)
        for q in range(1, 5):
            sh = _quarter_sheet(
                county,
                year,
                q,
                grants,
                loan if q == 4 else None,
                rng,
                texty=q == 2,
                prefix_rivers=rivers,
            )
            stem = f"{prefix}资金/{county.name}{year}年第{q}季度资金台账"
            if q == 3:
                files.append(LedgerFile(f"{stem}.csv", [sh], csv_encoding="utf-8-sig"))
            else:
                files.append(LedgerFile(f"{stem}.xlsx", [sh]))
            end = sh.period_end.isoformat()
            for g in grants:
                if g.first_quarter <= q:
                    truth.funding_lines.append(
                        FundingLine(
                            end,
                            county.name,
                            g.level,
                            g.program,
                            g.project,
                            g.allocated,
                            g.received[q - 1],
                            g.spent[q - 1],
                        )
                    )
            if q == 4:
                amount, fx, when = loan
                truth.funding_lines.append(
                    FundingLine(
                        end,
                        county.name,
                        "loan",
                        "法开署贷款",
                        f"{rivers[0]}流域生态保护和修复示范项目",
                        None,
                        None,
                        None,
                        "EUR",
                        float(amount),
                        float(fx),
                    )
                )
                truth.drawdowns.append(
                    Drawdown(
                        county.name,
                        float(amount),
                        "EUR",
                        float(fx),
                        loan_wan(amount, fx),
                        when.isoformat(),
                    )
                )
    return files
