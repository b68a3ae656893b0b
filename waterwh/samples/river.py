"""清四乱 issues and 水行政执法 cases: one workbook per county and year with two sheets of two
different ledger types (river_issue, enforcement).

Mess: the issue list has a row whose 发现时间 is "—" and the case list a row without 案件编号
(both quarantined); fines are in 元 under the header "罚没款(元)", one of them written "12,500";
cases never filed have "—" for 结案 and fines.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from waterwh.samples import cells
from waterwh.samples.geography import County
from waterwh.samples.names import person, river_of
from waterwh.samples.sheet import Bad, Kind, Sheet
from waterwh.samples.truth import CountyTruth
from waterwh.samples.writers import LedgerFile

CATEGORIES = (
    ("乱堆", "dumping", 45),
    ("乱占", "occupation", 35),
    ("乱建", "construction", 12),
    ("乱采", "extraction", 8),
)
RECTIFY = (("已销号", "closed", 75), ("整改中", "in_progress", 15), ("未整改", "open", 10))
SOURCES = ("河长巡查", "遥感图斑", "暗访", "四不两直", "群众举报", "联合巡河")
DESCRIPTIONS = {
    "乱堆": "河道管理范围内堆放建筑垃圾",
    "乱占": "违规占用河道滩地种植",
    "乱建": "河道管理范围内违规搭建",
    "乱采": "河道内非法采砂",
}
VIOLATIONS = (
    ("非法采砂", 3),
    ("非法捕捞", 4),
    ("违法取水", 2),
    ("未批先建", 2),
    ("违法用地", 2),
    ("乱倒垃圾", 2),
)


def _day(year: int, rng: random.Random) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randint(0, 330))


def _issue_sheet(county: County, year: int, rng: random.Random, truth: CountyTruth) -> Sheet:
    end = date(year, 12, 31)
    title = [f"{county.name}{year}年河湖“清四乱”问题整治台账", f"截至{year}年12月31日"]
    sh = Sheet("清四乱问题台账", "river_issue", county.name, end, 10, title)
    sh.header = [
        [
            "序号",
            "问题编号",
            "发现时间",
            "河湖名称",
            "所在乡镇",
            "问题类型",
            "发现途径",
            "整治情况",
            "销号时间",
            "问题描述",
        ]
    ]
    sh.col_widths = [6, 14, 12, 12, 10, 9, 10, 9, 12, 28]
    n = rng.randint(30, 45)
    days = sorted(_day(year, rng) for _ in range(n))
    bad_at = n // 3
    tally = truth.river_issue
    for i, found in enumerate(days):
        town = rng.choice(county.towns)
        cat_zh, cat, _ = rng.choices(CATEGORIES, [c[2] for c in CATEGORIES])[0]
        st_zh, st, _ = rng.choices(RECTIFY, [r[2] for r in RECTIFY])[0]
        fixed = found + timedelta(days=rng.randint(5, 40)) if st == "closed" else None
        found_cell: cells.Cell = found if i % 4 else cells.serial(found)
        row: list[cells.Cell] = [
            str(i + 1),
            f"SL-{year}-{i + 1:03d}",
            found_cell,
            river_of(town.short),
            town.name,
            cat_zh,
            rng.choice(SOURCES),
            st_zh,
            fixed,
            DESCRIPTIONS[cat_zh],
        ]
        if i == bad_at:
            row[2] = cells.DASH_EMPTY
            sh.add(
                Kind.QUARANTINE,
                row,
                bad=Bad("found_date", cells.DASH_EMPTY, "required found_date is empty"),
            )
            continue
        sh.add(Kind.DATA, row)
        tally.count += 1
        tally.by_category[cat] += 1
        tally.by_rectify_status[st] += 1
    sh.footnote("注：问题类型按乱占、乱采、乱堆、乱建分类；已销号问题经乡镇河长办复核。")
    return sh


def _case_sheet(county: County, year: int, rng: random.Random, truth: CountyTruth) -> Sheet:
    end = date(year, 12, 31)
    title = [f"{county.name}{year}年水行政执法案件台账", f"截至{year}年12月31日"]
    sh = Sheet("执法案件", "enforcement", county.name, end, 13, title)
    sh.header = [
        [
            "序号",
            "案件编号",
            "发现时间",
            "河湖名称",
            "所在乡镇",
            "违法类型",
            "案件来源",
            "是否立案",
            "是否结案",
            "立案日期",
            "结案日期",
            "罚没款(元)",
            "备注",
        ]
    ]
    sh.col_widths = [6, 14, 12, 12, 10, 10, 10, 8, 8, 12, 12, 12, 16]
    n = rng.randint(14, 20)
    days = sorted(_day(year, rng) for _ in range(n))
    bad_at = n - 4
    thousands_done = False
    tally = truth.enforcement
    for i, found in enumerate(days):
        town = rng.choice(county.towns)
        vtype = rng.choices([v[0] for v in VIOLATIONS], [v[1] for v in VIOLATIONS])[0]
        filed = rng.random() < 0.45
        closed = filed and rng.random() < 0.8
        filed_on = found + timedelta(days=rng.randint(1, 10)) if filed else None
        closed_on = filed_on + timedelta(days=rng.randint(10, 60)) if closed and filed_on else None
        fine_yuan = rng.randint(20, 500) * 100 if closed else None
        if fine_yuan is None:
            fine_cell: cells.Cell = cells.DASH_EMPTY
        elif not thousands_done and fine_yuan >= 10000:
            fine_cell = cells.thousands(str(fine_yuan))
            thousands_done = True
        else:
            fine_cell = fine_yuan
        row: list[cells.Cell] = [
            str(i + 1),
            f"ZF-{year}-{i + 1:03d}",
            found,
            river_of(town.short),
            town.name,
            vtype,
            rng.choice(SOURCES),
            "是" if filed else "否",
            ("是" if closed else "否") if filed else cells.DASH_EMPTY,
            filed_on,
            closed_on,
            fine_cell,
            "责令停止违法行为" if not filed else None,
        ]
        if i == bad_at:
            row[1] = None
            sh.add(Kind.QUARANTINE, row, bad=Bad("case_no", None, "required case_no is empty"))
            continue
        sh.add(Kind.DATA, row)
        tally.cases += 1
        tally.filed += filed
        tally.closed += closed
        tally.penalty += (fine_yuan or 0) // 100  # 元 → hundredths of 万元
        tally.by_violation_type[vtype] += 1
    sh.footnote(f"填报人：{person(rng)}    审核人：{person(rng)}")
    return sh


def river_files(
    county: County, years: list[int], prefix: str, rng: random.Random, truth: CountyTruth
) -> list[LedgerFile]:
    files = []
    for year in years:
        sheets = [_issue_sheet(county, year, rng, truth), _case_sheet(county, year, rng, truth)]
        files.append(
            LedgerFile(f"{prefix}河长制/{county.name}{year}年清四乱及执法台账.xlsx", sheets)
        )
    return files
