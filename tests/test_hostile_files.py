"""No file can stop the night: files built to exhaust or crash the reader, each next to a good
ledger. Each is refused with a Chinese message naming what is wrong; the good ledger still loads.
(Built here, a few KB each: a 5 KB xlsx can ask calamine for 500 GB.)"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.workbooks import investment_rows, write_xlsx
from waterwh.ingest.files import ingest_paths
from waterwh.ingest.isolation import FileRead, ReadAhead, ReadLimits

TITLE = "青溪县2025年1-3月重点项目投资台账"
P1 = ["1", "城关镇污水处理厂提标改造", "城关镇", "提标改造", "县重点", 9800, 4200, 200, 1200, 8100, "在建", ""]
P2 = ["2", "青石镇供水工程", "青石镇", "新建", "市重点", 5200, 1800, 100, 900, 900, "在建", "设计变更"]


def patched(name: str, change: Callable[[str, bytes], bytes]) -> Callable[[Path], Path]:
    """A valid workbook with one part of its package rewritten."""
    def make(d: Path) -> Path:
        base = write_xlsx(d / "base.tmp", {"S": investment_rows(TITLE, [P2])})
        with zipfile.ZipFile(base) as zin, zipfile.ZipFile(d / name, "w", zipfile.ZIP_DEFLATED) as out:
            for item in zin.infolist():
                out.writestr(item, change(item.filename, zin.read(item.filename)))
        base.unlink()
        return d / name

    return make


def far_cell(part: str, data: bytes) -> bytes:
    """One cell at XFD1048576: calamine allocates the whole 17-billion-cell range (SIGABRT)."""
    if not part.endswith("sheet1.xml"):
        return data
    return data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')


def shared_strings_claim(part: str, data: bytes) -> bytes:
    """A sharedStrings part claiming 4e9 strings: calamine reserves 96 GB for them (SIGABRT)."""
    if not part.endswith("sharedStrings.xml"):
        return data
    return re.sub(rb'count="\d+" uniqueCount="\d+"', b'count="4000000000" uniqueCount="4000000000"', data)


def zip_bomb(d: Path) -> Path:
    """A part of 300 MB of zeros, a few hundred KB packed."""
    path = patched("压缩炸弹.xlsx", lambda part, data: data)(d)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/media/padding.bin", "w") as f:
        for _ in range(300):
            f.write(b"\0" * (1 << 20))
    return path


def many_sheets(d: Path) -> Path:
    return write_xlsx(d / "工作表太多.xlsx", {f"S{i}": [["x"]] for i in range(12)})


CASES = [
    ("one cell at XFD1048576", patched("远处的单元格.xlsx", far_cell), "读取时所需内存超过上限", ReadLimits()),
    ("a shared-strings count of 4e9", patched("字符串声明.xlsx", shared_strings_claim), "文本单元格数异常",
     ReadLimits()),
    ("a zip bomb", zip_bomb, "疑似压缩炸弹", ReadLimits()),
    ("more sheets than allowed", many_sheets, "工作表过多（12 个，上限 10 个）", ReadLimits(max_sheets=10)),
    ("more columns than allowed", lambda d: write_xlsx(d / "宽表.xlsx", {"S": investment_rows(TITLE, [
        [*P2, *range(20)]])}), "列数过多（32 列，上限 12 列）", ReadLimits(max_columns=12)),
    ("more rows than allowed", lambda d: write_xlsx(d / "长表.xlsx", {"S": investment_rows(TITLE, [P2] * 3)}),
     "行数过多（5 行，上限 4 行）", ReadLimits(max_rows=4)),
]


@pytest.mark.parametrize(("name", "make", "message", "limits"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_file_is_refused_and_the_night_goes_on(
        tmp_path: Path, name: str, make: Callable[[Path], Path], message: str, limits: ReadLimits) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    write_xlsx(landing / "good.xlsx", {"S": investment_rows(TITLE, [P1])})
    bad = make(landing)
    con = duckdb.connect()
    results = {r.file_name: r for r in ingest_paths(con, [landing], limits=limits)}
    assert results["good.xlsx"].status == "loaded", results["good.xlsx"].error
    assert results[bad.name].status == "failed"
    assert message in (results[bad.name].error or ""), results[bad.name].error
    assert con.execute("SELECT count(*) FROM raw.investment_ledger").fetchall() == [(1,)]


def read_all(files: list[Path], limits: ReadLimits) -> list[FileRead]:
    with ReadAhead(files, limits, set()) as reads:
        return [reads.next() for _ in files]


def test_a_file_over_its_time_is_given_up_and_the_next_read_by_a_new_reader(tmp_path: Path) -> None:
    files = [write_xlsx(tmp_path / f"{i}.xlsx", {"S": investment_rows(TITLE, [P1] * (i + 1))}) for i in range(3)]
    # not even time to start (a memory limit of its own: no idle reader of another test is reused)
    reads = read_all(files, ReadLimits(max_seconds=0.001, max_memory_bytes=3 << 30))
    assert all("读取超时（超过 0 秒）" in (r.error or "") for r in reads)
    reads = read_all(files, ReadLimits())
    assert [r.sheets[0].table.num_rows for r in reads if r.sheets] == [3, 4, 5]


def test_a_reader_that_dies_is_replaced_and_goes_on_after_the_file(tmp_path: Path) -> None:
    """A file that kills the child (out of memory) between two good ones: both are read."""
    far = patched("远处的单元格.xlsx", far_cell)(tmp_path)
    good = [write_xlsx(tmp_path / f"good{i}.xlsx", {"S": investment_rows(TITLE, [P1] * (i + 1))}) for i in range(2)]
    first, crashed, second = read_all([good[0], far, good[1]], ReadLimits())
    assert "内存超过上限（4 GB" in (crashed.error or "") and crashed.sha256 == ""
    assert first.sheets and second.sheets and second.sheets[0].table.num_rows == 4


def test_the_same_content_twice_is_read_once(tmp_path: Path) -> None:
    a = write_xlsx(tmp_path / "a.xlsx", {"S": investment_rows(TITLE, [P1])})
    b = tmp_path / "b.xlsx"
    b.write_bytes(a.read_bytes())
    first, second = read_all([a, b], ReadLimits())
    assert first.sheets and second.sheets is None and second.error is None and second.sha256 == first.sha256
