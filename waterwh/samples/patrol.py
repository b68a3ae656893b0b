"""河湖长巡河台账: one log of patrol events per county per month.

Chiefs at four levels (市级 now and then, 县级 monthly, 乡镇级 twice a month, 村级 two or three
times a month). Dates are written the way the month's clerk writes them: real Excel dates,
Excel serial numbers, "2025年4月8日" or "2025/4/8" (a few rows in each file use another form).
July has a row dated "2025-13-45" and October a row without a river: both are quarantined.
August is a GBK CSV export; at province scale every month is CSV (the logs run to millions of rows).
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, timedelta

from waterwh.samples import cells
from waterwh.samples.geography import County
from waterwh.samples.names import county_rivers, person, river_of
from waterwh.samples.sheet import Bad, Kind, Sheet
from waterwh.samples.truth import CountyTruth
from waterwh.samples.writers import LedgerFile

LEVEL_ZH = {"city": "市级", "county": "县级", "township": "乡镇级", "village": "村级"}
HANDLING = (("已销号", "closed", 70), ("整改中", "in_progress", 20), ("未处理", "open", 10))
ISSUE_TYPES = (
    ("乱堆", "河岸堆放建筑垃圾"),
    ("垃圾", "河面漂浮生活垃圾"),
    ("漂浮物", "水面漂浮物较多"),
    ("排污口", "发现疑似非法排污口"),
    ("乱占", "违规占用河道种植"),
    ("乱建", "河道管理范围内搭建棚屋"),
    ("水质", "局部水体发黑发臭"),
    ("乱采", "疑似非法采砂"),
)
BAD_DATE_MONTH = 7
MISSING_RIVER_MONTH = 10
CSV_MONTH = 8
VILLAGE_CHIEFS = {"small": 3, "county": 3, "province": 24}


@dataclass(frozen=True)
class Chief:
    name: str
    level: str
    river: str
    segment: str
    town: str
    per_month: int


def chiefs(county: County, scale: str, rng: random.Random) -> list[Chief]:
    rivers = county_rivers(county)
    out = [Chief(person(rng), "city", rivers[0], f"{county.name}段", county.seat.name, 0)]
    for i in range(4):
        r = rivers[i % len(rivers)]  # the main river, then the rivers of the first towns
        town = county.seat if i == 0 else county.towns[(i - 1) % len(county.towns)]
        out.append(Chief(person(rng), "county", r, "全段", town.name, 1))
    for town in county.towns:
        r = river_of(town.short)
        out.append(Chief(person(rng), "township", r, f"{town.name}段", town.name, 2))
        for v in range(VILLAGE_CHIEFS[scale]):
            village = f"{town.short}{'一二三四五六七八九十'[v % 10]}{'村' if v < 10 else '组'}"
            out.append(Chief(person(rng), "village", r, f"{village}段", town.name, 2))
    return out


@dataclass
class Event:
    chief: Chief
    day: date
    minutes: int
    km: float
    issues: int
    issue_type: str | None
    description: str | None
    handling: tuple[str, str] | None  # (written, code)
    closed_on: date | None


def _events(roster: list[Chief], year: int, month: int, rng: random.Random) -> list[Event]:
    days = calendar.monthrange(year, month)[1]
    out = []
    for ch in roster:
        n = ch.per_month
        if ch.level == "city":
            n = 1 if month % 3 == 0 else 0
        elif ch.level == "village" and rng.random() < 0.3:
            n += 1
        for _ in range(n):
            day = date(year, month, rng.randint(1, days))
            issues = rng.choices((0, 1, 2), (88, 10, 2))[0]
            itype = desc = handling = closed = None
            if issues:
                itype, desc = rng.choice(ISSUE_TYPES)
                w, code, _ = rng.choices(HANDLING, [h[2] for h in HANDLING])[0]
                handling = (w, code)
                if code == "closed":
                    closed = day + timedelta(days=rng.randint(1, 12))
            out.append(
                Event(
                    ch,
                    day,
                    rng.randint(30, 180),
                    round(rng.uniform(0.5, 12.0), 1),
                    issues,
                    itype,
                    desc,
                    handling,
                    closed,
                )
            )
    out.sort(key=lambda e: (e.day, list(LEVEL_ZH).index(e.chief.level), e.chief.name))
    return out


def _date_cell(d: date, style: int, csv: bool) -> cells.Cell:
    """style 0: real date, 1: serial, 2: 2025年4月8日, 3: 2025/4/8 (CSV: no real dates)."""
    if style == 0:
        return d.isoformat() if csv else d
    if style == 1:
        return cells.serial(d)
    if style == 2:
        return cells.cn_date(d)
    return cells.slash_date(d)


def _sheet(
    county: County,
    year: int,
    month: int,
    events: list[Event],
    rng: random.Random,
    csv: bool,
    truth: CountyTruth,
) -> Sheet:
    title = [f"{county.name}河湖长巡河记录台账", f"（{year}年{month}月）"]
    end = date(year, month, calendar.monthrange(year, month)[1])
    sh = Sheet("巡河记录", "patrol", county.name, end, 14, title)
    sh.header = [
        [
            "序号",
            "河长姓名",
            "河长级别",
            "河湖名称",
            "巡河河段",
            "所在乡镇",
            "巡河日期",
            "巡河时长(分钟)",
            "巡河里程(km)",
            "发现问题数",
            "问题类型",
            "处理情况",
            "销号日期",
            "问题描述",
        ]
    ]
    sh.col_widths = [6, 10, 9, 12, 14, 10, 14, 10, 10, 9, 9, 9, 12, 24]
    style = month % 4
    bad_at = len(events) // 2 if month in (BAD_DATE_MONTH, MISSING_RIVER_MONTH) else -1
    tally = truth.patrol
    for i, e in enumerate(events):
        s = style if rng.random() >= 0.05 else (style + 1) % 4
        row = [
            str(i + 1),
            e.chief.name,
            LEVEL_ZH[e.chief.level],
            e.chief.river,
            e.chief.segment,
            e.chief.town,
            _date_cell(e.day, s, csv),
            e.minutes,
            e.km,
            e.issues,
            e.issue_type or cells.DASH_EMPTY,
            e.handling[0] if e.handling else cells.SLASH_EMPTY,
            _date_cell(e.closed_on, s, csv) if e.closed_on else None,
            e.description,
        ]
        if i == bad_at and month == BAD_DATE_MONTH:
            row[6] = f"{year}-13-45"
            sh.add(Kind.QUARANTINE, row, bad=Bad("patrol_date", row[6], "invalid date"))
            continue
        if i == bad_at:
            row[3] = None
            sh.add(
                Kind.QUARANTINE, row, bad=Bad("river_name", None, "required river_name is empty")
            )
            continue
        sh.add(Kind.DATA, row)
        tally.events += 1
        tally.by_chief_level[e.chief.level] += 1
        tally.issues_found += e.issues
        if e.handling:
            tally.by_handling_status[e.handling[1]] += 1
    found = sum(e.issues for e in events)
    sh.footnote(f"注：本月巡河{len(events)}次，发现问题{found}个。")
    sh.footnote(f"填报人：{person(rng)}    审核人：{person(rng)}")
    return sh


def patrol_files(
    county: County,
    years: list[int],
    scale: str,
    prefix: str,
    rng: random.Random,
    truth: CountyTruth,
) -> list[LedgerFile]:
    roster = chiefs(county, scale, rng)
    files = []
    for year in years:
        for month in range(1, 13):
            events = _events(roster, year, month, rng)
            stem = f"{prefix}河长制/{county.name}河湖长巡河记录{year}年{month:02d}月"
            if scale == "province":
                enc = "gbk" if month % 2 == 0 else "utf-8-sig"
                sh = _sheet(county, year, month, events, rng, True, truth)
                files.append(LedgerFile(f"{stem}.csv", [sh], csv_encoding=enc))
            elif month == CSV_MONTH:
                sh = _sheet(county, year, month, events, rng, True, truth)
                files.append(LedgerFile(f"{stem}.csv", [sh], csv_encoding="gbk"))
            else:
                sh = _sheet(county, year, month, events, rng, False, truth)
                files.append(LedgerFile(f"{stem}.xlsx", [sh]))
    return files
