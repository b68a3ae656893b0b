"""Reporting periods as bureaus write them (ingest/periods.py): every spelling family read right,
anything not fully understood an error quoting the text — never a fallback to the year — and
title, sheet, file-name and header periods cross-checked."""

from __future__ import annotations

import calendar
from datetime import date

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waterwh.ingest.periods import PeriodError, describe, find_period, parse_period, read_text


def end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


SPELLINGS = [
    # a month
    ("2023年九月份水利工程建设台账", date(2023, 9, 1), end(2023, 9), "month"),
    ("二〇二三年九月", date(2023, 9, 1), end(2023, 9), "month"),
    ("二零二三年十二月", date(2023, 12, 1), end(2023, 12), "month"),
    ("2023年＿9月重点项目台账", date(2023, 9, 1), end(2023, 9), "month"),
    ("2023年 9 月", date(2023, 9, 1), end(2023, 9), "month"),
    ("2023年度8月", date(2023, 8, 1), end(2023, 8), "month"),
    ("２０２３年９月", date(2023, 9, 1), end(2023, 9), "month"),
    ("青溪县重点项目投资台账2025年03月", date(2025, 3, 1), end(2025, 3), "month"),
    ("台账_2023_09", date(2023, 9, 1), end(2023, 9), "month"),
    ("2023.9", date(2023, 9, 1), end(2023, 9), "month"),
    ("202309", date(2023, 9, 1), end(2023, 9), "month"),
    ("XX县河长制一月一通报（2023年9月）", date(2023, 9, 1), end(2023, 9), "month"),
    # January to a month
    ("2023年1-10月", date(2023, 1, 1), end(2023, 10), "ytd"),
    ("2023年1－10月", date(2023, 1, 1), end(2023, 10), "ytd"),
    ("2023年1至9月", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年1月至9月", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年1月-9月", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年一至九月", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("1－10月（2023年）", date(2023, 1, 1), end(2023, 10), "ytd"),
    ("2023年前三季度", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年1-3季度", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年前5个月", date(2023, 1, 1), end(2023, 5), "ytd"),
    ("2023年1月1日至2023年9月30日", date(2023, 1, 1), date(2023, 9, 30), "ytd"),
    ("2023年1月1日-9月30日", date(2023, 1, 1), date(2023, 9, 30), "ytd"),
    ("2023.1.1-2023.9.30", date(2023, 1, 1), date(2023, 9, 30), "ytd"),
    ("2023.01-2023.09", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023.1-9", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年1月份至9月份", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年1—9月", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年1～9月", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年1月—2023年9月", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年第一季度至第三季度", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年（1-9月）", date(2023, 1, 1), end(2023, 9), "ytd"),
    # as of a day or a month's end
    ("截至2021年9月30日", date(2021, 1, 1), date(2021, 9, 30), "as_of"),
    ("截至2023年八月底", date(2023, 1, 1), end(2023, 8), "as_of"),
    ("截止2023年8月末", date(2023, 1, 1), end(2023, 8), "as_of"),
    ("截止到2023年9月", date(2023, 1, 1), end(2023, 9), "as_of"),
    ("2024年截止4月份", date(2024, 1, 1), end(2024, 4), "as_of"),
    ("数据截至2023年9月15日", date(2023, 1, 1), date(2023, 9, 15), "as_of"),
    ("2023年9月30日止", date(2023, 1, 1), date(2023, 9, 30), "as_of"),
    ("截至二〇二三年十二月三十一日", date(2023, 1, 1), date(2023, 12, 31), "as_of"),
    ("截至2023年底", date(2023, 1, 1), date(2023, 12, 31), "as_of"),
    ("2023年三季度末", date(2023, 1, 1), end(2023, 9), "as_of"),
    ("截至目前 填报日期：2023年10月8日", date(2023, 1, 1), date(2023, 10, 8), "as_of"),
    # quarters, halves, seasons, years, weeks
    ("2023年第三季度", date(2023, 7, 1), end(2023, 9), "quarter"),
    ("2023年Q3", date(2023, 7, 1), end(2023, 9), "quarter"),
    ("2023Q3", date(2023, 7, 1), end(2023, 9), "quarter"),
    ("截止2023.9.30", date(2023, 1, 1), date(2023, 9, 30), "as_of"),
    ("2023-1-9", date(2023, 1, 1), date(2023, 1, 9), "as_of"),
    ("一季度 2024年", date(2024, 1, 1), end(2024, 3), "quarter"),
    ("2024年上半年", date(2024, 1, 1), end(2024, 6), "half"),
    ("2024年下半年", date(2024, 7, 1), end(2024, 12), "half"),
    ("2022－2023年冬春", date(2022, 11, 1), end(2023, 4), "season"),
    ("2025年度", date(2025, 1, 1), date(2025, 12, 31), "year"),
    ("2023年第36周", date(2023, 9, 4), date(2023, 9, 10), "week"),
    # the period beside a document date or a comparison
    ("2023年1-9月重点项目 2023年10月8日", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年1-9月（截至9月30日）", date(2023, 1, 1), date(2023, 9, 30), "as_of"),
    ("2023年1-9月完成投资（较2022年同期增长12%）", date(2023, 1, 1), end(2023, 9), "ytd"),
    ("2023年9月台账 制表日期：2023年10月5日", date(2023, 9, 1), end(2023, 9), "month"),
]


@pytest.mark.parametrize(("text", "start", "stop", "kind"), SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_every_spelling(text: str, start: date, stop: date, kind: str) -> None:
    p = parse_period(text)
    assert p is not None
    assert (p.start, p.end, p.type) == (start, stop, kind)


@pytest.mark.parametrize(("text", "quoted"), [
    ("2023年13月", "13月"),  # no such month
    ("2023年__月", "2023年月"),  # a template's month never filled in: not "the year 2023"
    ("2023年9月份第二次调度", None),  # read: 9月份; 第二次 is no period
    ("1-10月", "没有写年份"),
    ("九月一日", "没有写年份"),
    ("2023年1-9月 2023年1-8月", "不一致"),  # two periods that disagree
    ("2023年上旬", "上旬"),
])
def test_not_understood_is_an_error_quoting_the_text(text: str, quoted: str | None) -> None:
    if quoted is None:  # the control case: understood
        assert parse_period(text) is not None
        return
    with pytest.raises(PeriodError) as err:
        parse_period(text)
    assert quoted in str(err.value)


def test_texts_without_a_period() -> None:
    assert parse_period("重点项目台账") is None
    assert parse_period("截至目前") is None  # as of an unknown day: no period, not even a year
    assert parse_period("2023年截至目前重点项目") is None
    assert parse_period("") is None


def test_a_bare_date_alone_is_the_ledgers_date_but_yields_to_a_period() -> None:
    alone = read_text("重点项目台账（2023年9月30日）").period
    assert alone is not None and alone.end == date(2023, 9, 30) and alone.weak
    # in the file name it is the date the file was sent; the title's period wins
    p = find_period("青溪县2023年1-9月重点项目台账", "Sheet1", "重点项目台账2023年10月8日")
    assert p is not None and p.end == date(2023, 9, 30)


# ---- title, sheet, file name, headers ---------------------------------------------------------

def test_sources_that_agree_give_the_most_precise() -> None:
    p = find_period("青溪县重点项目台账", "9月", "2023年重点项目")
    assert p is not None and (p.start, p.end, p.type) == (date(2023, 9, 1), end(2023, 9), "month")
    p = find_period("截至2023年9月15日", "9月", "")
    assert p is not None and p.end == date(2023, 9, 15)


@pytest.mark.parametrize(("title", "sheet", "stem", "named"), [
    ("青溪县2023年1-9月重点项目台账", "8月", "台账", ("标题", "工作表名")),
    ("青溪县2023年1-9月重点项目台账", "Sheet1", "青溪县2023年8月台账", ("标题", "文件名")),
    ("2024年重点项目台账", "Sheet1", "2023年9月", ("标题", "文件名")),
])
def test_sources_that_disagree_are_reported_naming_both(title: str, sheet: str, stem: str,
                                                         named: tuple[str, str]) -> None:
    with pytest.raises(PeriodError) as err:
        find_period(title, sheet, stem)
    message = str(err.value)
    assert "不一致" in message and all(n in message for n in named)


def test_a_source_not_understood_is_reported_with_where_it_was() -> None:
    with pytest.raises(PeriodError, match="工作表名"):
        find_period("青溪县2023年1-9月重点项目台账", "2023年13月", "")


def test_headers_cross_checked_and_giving_the_period() -> None:
    # a header naming other months than the title: reported
    with pytest.raises(PeriodError, match="表头"):
        find_period("青溪县2023年1-10月重点项目台账", "S", "", ["项目名称", "2023年1-9月完成投资"])
    with pytest.raises(PeriodError, match="表头"):
        find_period("青溪县2023年1-9月重点项目台账", "S", "", ["2024年计划投资", "1-9月完成投资"])
    # headers that agree, or date only their own measure before the ledger's year
    p = find_period("青溪县2023年1-9月重点项目台账", "S", "",
                    ["2023年计划投资", "1-9月完成投资", "至2022年底累计完成", "开工以来累计完成"])
    assert p is not None and p.end == end(2023, 9)
    # the title names only the year: the header's months are the period (it was read as the year)
    p = find_period("青溪县2023年重点项目投资台账", "Sheet1", "台账", ["年度计划投资", "1-9月完成投资"])
    assert p is not None and (p.start, p.end) == (date(2023, 1, 1), end(2023, 9))
    # a cut-off at a year's end is never the period on its own
    assert find_period("重点项目台账", "S", "", ["至2022年底累计完成"]) is None


def test_describe() -> None:
    assert [describe(p) for p in (parse_period("2023年"), parse_period("2023年9月"), parse_period("2023年1-9月"),
                                  parse_period("截至2023年9月15日"))] == [  # type: ignore[arg-type]
        "2023年", "2023年9月", "2023年1-9月", "截至2023年9月15日"]


# ---- property: drawn spellings read back ------------------------------------------------------

def _year(y: int, how: str) -> str:
    if how == "arabic":
        return str(y)
    if how == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) for c in str(y))
    return "".join("〇一二三四五六七八九"[int(c)] if how == "cn〇" else "零一二三四五六七八九"[int(c)] for c in str(y))


def _number(n: int, how: str) -> str:
    if how == "arabic":
        return str(n)
    if how == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    return cn2an.an2cn(n)


@settings(max_examples=500, deadline=None)
@given(
    year=st.integers(2000, 2099), month=st.integers(1, 12), day=st.integers(1, 28),
    year_how=st.sampled_from(["arabic", "fullwidth", "cn〇", "cn零"]),
    num_how=st.sampled_from(["arabic", "fullwidth", "cn"]),
    family=st.sampled_from(["month", "ytd", "as_of_month", "as_of_day", "quarter", "range_days"]),
    variant=st.integers(0, 3),
    before=st.sampled_from(["", "青溪县", "XX县水利局"]),
    after=st.sampled_from(["", "重点项目投资台账", "指标完成情况表"]),
)
def test_drawn_spellings_read_back(year: int, month: int, day: int, year_how: str, num_how: str, family: str,
                                   variant: int, before: str, after: str) -> None:
    y, m, d = _year(year, year_how), _number(month, num_how), _number(day, num_how)
    one = _number(1, num_how)
    if family == "month":
        text = [f"{y}年{m}月", f"{y}年{m}月份", f"{y}年度{m}月", f"{y}年＿{m}月"][variant]
        want = (date(year, month, 1), end(year, month), "month")
    elif family == "ytd":
        sep = ["-", "－", "至", "月至"][variant]
        text = f"{y}年{one}{sep}{m}月"
        want = (date(year, 1, 1), end(year, month), "ytd")
    elif family == "as_of_month":
        text = [f"截至{y}年{m}月底", f"截止{y}年{m}月末", f"截至{y}年{m}月", f"{y}年截止{m}月份"][variant]
        want = (date(year, 1, 1), end(year, month), "as_of")
    elif family == "as_of_day":
        text = [f"截至{y}年{m}月{d}日", f"数据截至{y}年{m}月{d}日", f"{y}年{m}月{d}日止",
                f"截止到{y}年{m}月{d}号"][variant]
        want = (date(year, 1, 1), date(year, month, day), "as_of")
    elif family == "quarter":
        q = (month - 1) // 3 + 1
        qn = _number(q, num_how)
        text = [f"{y}年第{qn}季度", f"{y}年{qn}季度", f"{y}年{qn}季度末", f"{y}年第{qn}季度"][variant]
        want = ((date(year, 1, 1), end(year, 3 * q), "as_of") if variant == 2
                else (date(year, 3 * q - 2, 1), end(year, 3 * q), "quarter"))
    else:
        text = [f"{y}年{one}月{one}日至{y}年{m}月{d}日", f"{y}年{one}月{one}日-{m}月{d}日",
                f"{y}年{one}月{one}日到{m}月{d}日", f"{y}年{one}月{one}日至{m}月{d}日"][variant]
        stop = date(year, month, day)
        want = (date(year, 1, 1), stop, "ytd" if stop == end(year, month) else "as_of")
    if family == "ytd" and month == 1 and variant == 3:
        return  # "1月至1月": no one writes it
    p = parse_period(before + text + after)
    assert p is not None, text
    assert (p.start, p.end, p.type) == want, text
