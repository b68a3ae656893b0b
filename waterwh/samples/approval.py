"""设计/审批台账: the preparatory-work pipeline, one row per project × approval item.

The project name (and its 序号) is one vertically merged cell over the project's item rows;
planned dates are text ("6月底", "2025年10月上旬", "11月中旬") or real dates, actual dates real
dates or "2025.3.15".
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from waterwh.samples import cells
from waterwh.samples.geography import County
from waterwh.samples.names import doc_no, person
from waterwh.samples.portfolio import Project
from waterwh.samples.sheet import Kind, Sheet
from waterwh.samples.truth import CountyTruth
from waterwh.samples.writers import LedgerFile

ITEMS: tuple[tuple[str, str, str], ...] = (
    # item, authority, document issuer
    ("项目建议书", "市发改委", "云发改农经"),
    ("可研批复", "省发改委", "江发改农经"),
    ("用地预审及选址意见书", "自然资源局", "云自然资预"),
    ("环评", "生态环境局", "云环审"),
    ("水保方案", "县水务局", "水保"),
    ("防洪评价", "市水务局", "云水审批"),
    ("社稳评估", "县委政法委", "稳评"),
    ("林地占用", "省林业局", "江林地许准"),
    ("初步设计", "市水务局", "云水建管"),
    ("施工图设计", "县水务局", "施审"),
    ("招标", "县公共资源交易中心", "招"),
)
STATUS_TEXT = {
    "approved": ("已批复", "已取得", "已完成"),
    "submitted": ("已报审", "待批复", "已报审待批复", "基本完成"),
    "drafting": ("编制中",),
    "not_started": ("未启动",),
}
BLOCKERS = (
    "要件已齐备，待专家评审",
    "需补充水资源论证",
    "涉及生态红线，需调整选址",
    "等待上级批复",
    "林地指标不足",
)


def _planned_text(d: date, rng: random.Random) -> cells.Cell:
    """A planned date as clerks write it: "6月底", "2025年10月上旬", "11月中旬" or a real date."""
    if d.day <= 10:
        part = "上旬"
    elif d.day <= 20:
        part = "中旬"
    else:
        part = "下旬"
    return rng.choice((f"{d.month}月底", f"{d.year}年{d.month}月{part}", f"{d.month}月{part}", d))


def approval_files(
    county: County,
    projects: list[Project],
    years: list[int],
    prefix: str,
    rng: random.Random,
    truth: CountyTruth,
) -> list[LedgerFile]:
    files = []
    pipeline = [p for p in projects if p.role in ("preparatory", "idle", "late_start")]
    for year in years:
        end = date(year, 9, 30)
        title = [f"{county.name}重点项目前期工作（设计/审批）进度台账", f"截至{year}年9月30日"]
        sh = Sheet("审批进度", "approval", county.name, end, 9, title)
        sh.header = [
            [
                "序号",
                "项目名称",
                "审批事项",
                "审批部门",
                "计划完成时间",
                "实际完成时间",
                "办理状态",
                "批复文号",
                "存在问题",
            ]
        ]
        sh.col_widths = [6, 30, 20, 16, 16, 14, 12, 22, 26]
        tally = truth.approval
        for n, p in enumerate(pipeline, start=1):
            k = rng.randint(3, 6)
            start = rng.randint(0, len(ITEMS) - k)
            items = ITEMS[start : start + k]
            done = rng.randint(0, k - 1) if p.role == "preparatory" else rng.randint(1, k)
            first = len(sh.rows)
            day = date(year, 1, 1) + timedelta(days=rng.randint(0, 60))
            for j, (item, authority, issuer) in enumerate(items):
                day += timedelta(days=rng.randint(10, 45))
                if j < done:
                    status = "approved"
                elif j == done:
                    status = rng.choice(("submitted", "drafting"))
                else:
                    status = "not_started"
                actual: cells.Cell = None
                number = None
                planned = day
                if status == "approved":
                    d = min(end, day + timedelta(days=rng.randint(-15, 20)))
                    actual = d if rng.random() < 0.6 else f"{d.year}.{d.month}.{d.day}"
                    number = doc_no(rng, issuer, year)
                else:
                    planned = max(day, end + timedelta(days=rng.randint(-40, 90)))
                    planned = min(planned, date(year, 12, 31))
                blocker = rng.choice(BLOCKERS) if status == "submitted" else None
                sh.add(
                    Kind.DATA,
                    [
                        str(n) if j == 0 else None,
                        p.name if j == 0 else None,
                        item,
                        authority,
                        _planned_text(planned, rng),
                        actual,
                        rng.choice(STATUS_TEXT[status]),
                        number,
                        blocker,
                    ],
                )
                tally.milestones += 1
                tally.by_status[status] += 1
            if len(items) > 1:
                sh.body_merges += [(first, len(sh.rows) - 1, 0), (first, len(sh.rows) - 1, 1)]
        sh.footnote("注：计划完成时间为各责任单位承诺时限。")
        sh.footnote(f"填报人：{person(rng)}    审核人：{person(rng)}")
        files.append(
            LedgerFile(f"{prefix}前期/{county.name}重点项目设计审批进度台账{year}年09月.xlsx", [sh])
        )
    return files
