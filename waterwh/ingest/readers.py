"""Read a ledger file into sheets of strings, keeping true Excel row numbers.

xlsx/xls go through fastexcel (calamine → Arrow); CSV through DuckDB's reader after the encoding is
detected (UTF-8, UTF-8 with BOM, GBK/GB18030). Every cell arrives as text: parsing happens later in
one place, so a number typed as text and a real number are treated alike.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import fastexcel
import numpy as np
import pyarrow as pa

from waterwh.ingest.cells import put_cells
from waterwh.ingest.db import connect
from waterwh.ingest.number_formats import PercentCells, percent_cells

# Where a blank line starts, to mark it with a comma. Its CR stays: a CRLF file made partly LF was
# read by DuckDB with one row more than it has lines (hypothesis found it).
BLANK_LINE = re.compile(r"^(?=\r?$)", re.MULTILINE)
ZIP_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}  # Office Open XML: a zip package
# calamine reads these too: .xls (Excel 97-2003), .xlsb (Excel binary), .ods (LibreOffice, and
# WPS/永中 on the 国产 desktops some bureaus run)
EXCEL_SUFFIXES = ZIP_EXCEL_SUFFIXES | {".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv"}
SUPPORTED_SUFFIXES = EXCEL_SUFFIXES | CSV_SUFFIXES
UNSUPPORTED = "不支持的文件类型「{suffix}」（支持 .xlsx .xls .xlsb .ods .csv；WPS 的 .et 请另存为 .xlsx）"


class FileError(Exception):
    """A file that cannot be read at all; the message is shown to the clerk."""


@dataclass
class Sheet:
    name: str
    table: pa.Table  # string columns c0..cN: column i is spreadsheet column i + 1 (A), row i is row i + 1
    percent: PercentCells = field(default_factory=dict)  # numeric cells Excel shows as percentages
    hidden: bool = False  # a hidden sheet: not what the clerk sends (an old copy, a list for drop-downs)
    # a sheet rebuilt from another (ingest/wide.py): the spreadsheet row of each table row, and per
    # column the spreadsheet column and header each cell came from
    row_numbers: np.ndarray | None = None
    origin: dict[int, tuple[np.ndarray, list[str]]] | None = None

    @property
    def height(self) -> int:
        return self.table.num_rows

    def percent_as_shown(self, columns: Iterable[int]) -> Sheet:
        """The sheet with the cells of `columns` that Excel shows as percentages given as shown:
        "110.5%" for a stored 1.105 (for the percentage columns of its layout; an amount column
        formatted as a percentage by mistake keeps the value stored)."""
        table = self.table
        for c in columns:
            rows = [r for r in self.percent.get(c, ()) if r < table.num_rows]
            if rows and c < table.num_columns:
                stored = table.column(c).take(pa.array(rows)).to_pylist()
                table = _set_cells(table, c, {r: _as_percent(v) for r, v in zip(rows, stored, strict=True)})
        return Sheet(self.name, table, self.percent, self.hidden, self.row_numbers, self.origin)

    def head(self, n: int) -> list[list[str]]:
        part = self.table.slice(0, n).to_pylist()
        return [[(v or "") if isinstance(v, str) else "" for v in row.values()] for row in part]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _as_percent(text: str | None) -> str | None:
    """A number stored in a percentage cell as Excel shows it: "1.105" → "110.5%"."""
    try:
        value = Decimal(text or "")
    except InvalidOperation:
        return text
    return f"{(value * 100).normalize():f}%" if value.is_finite() else text


def _as_strings(table: pa.Table, first_column: int = 0) -> pa.Table:
    """String columns c0..cN, column i being spreadsheet column i + 1: a sheet whose cells start
    in column B (calamine's range starts at the first column holding a value) gets an empty c0."""
    cols = [pa.nulls(table.num_rows, pa.string()) for _ in range(first_column)] + [
        c if pa.types.is_string(c.type) or pa.types.is_large_string(c.type) else c.cast(pa.string())
        for c in table.columns
    ]
    return pa.table(cols, names=[f"c{i}" for i in range(len(cols))])


def read_excel(path: Path) -> Iterator[Sheet]:
    percent = _open_excel(path)
    try:
        reader = fastexcel.read_excel(_source(path))
    except Exception as exc:  # calamine's errors are specific but terse
        _refuse_if_corrupt(path)
        raise FileError(_explain_excel_error(path, exc)) from exc
    for name in reader.sheet_names:
        try:
            # Lazily (1.0 ms a small workbook; eagerly 0.7): only so come the cells holding an
            # error (#DIV/0!, #REF!), which would otherwise arrive empty, unreported.
            sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
            first = min((c.absolute_index for c in sheet.available_columns()), default=0)
            batch, errors = sheet.to_arrow_with_errors()
        except Exception as exc:
            _refuse_if_corrupt(path)
            raise FileError(f"工作表「{name}」无法读取: {exc}") from exc
        table = _as_strings(pa.Table.from_batches([batch]), first)
        if errors is not None and errors.errors:
            table = _with_error_text(table, [(e.position[0], e.position[1] + first, e.detail) for e in errors.errors])
        yield Sheet(name=name, table=table, percent=percent.get(name, {}), hidden=sheet.visible != "visible")


# calamine's names of Excel's error values
EXCEL_ERRORS = {"Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!",
                "Ref": "#REF!", "Value": "#VALUE!", "GettingData": "#GETTING_DATA"}
_ERROR_NAME = re.compile(r"Error\((\w+)\)")


def _with_error_text(table: pa.Table, errors: list[tuple[int, int, str]]) -> pa.Table:
    """The table with each cell that holds an error value given as Excel shows it ("#DIV/0!"):
    a number column's parser then reports it, instead of the cell arriving empty."""
    by_column: dict[int, dict[int, str]] = {}
    for row, column, detail in errors:
        found = _ERROR_NAME.search(detail)
        text = EXCEL_ERRORS.get(found.group(1), f"#{found.group(1)}") if found else f"#错误（{detail}）"
        by_column.setdefault(column, {})[row] = text
    for column, cells in by_column.items():
        table = _set_cells(table, column, cells)
    return table


def _set_cells(table: pa.Table, column: int, cells: dict[int, str | None]) -> pa.Table:
    """The table with column `column`'s cells at the rows of `cells` set to its texts (cells
    outside the table ignored)."""
    if column >= table.num_columns:
        return table
    rows = sorted(r for r in cells if r < table.num_rows)
    values = put_cells(table.column(column).combine_chunks(), rows, [cells[r] for r in rows])
    return table.set_column(column, table.field(column), values)


def _open_excel(path: Path) -> dict[str, PercentCells]:
    """What can be told before reading: encrypted, not a zip, cut off (no central directory); and
    by sheet, the cells Excel shows as percentages (`number_formats`; none for .xls, whose formats
    are not read)."""
    with path.open("rb") as f:
        head = f.read(512)
    _refuse_if_not_a_workbook(head)
    if path.suffix.lower() not in ZIP_EXCEL_SUFFIXES:
        return {}
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        # An OLE container with an .xlsx name is how Excel stores encrypted workbooks.
        raise FileError("文件已设置密码保护（加密的工作簿），请取消密码后重新报送")
    if not head.startswith(b"PK"):
        raise FileError("不是有效的Excel文件（文件内容不是xlsx格式，可能已损坏或扩展名错误）")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise FileError("Excel文件已损坏或不完整（可能传输中被截断），请重新报送") from exc
    with zf:
        try:
            return percent_cells(zf)
        except Exception as exc:
            _refuse_if_corrupt(path)
            raise FileError(f"Excel文件的单元格格式无法读取（{type(exc).__name__}: {str(exc)[:200]}），"
                            "请重新导出") from exc


def readable(name: str) -> str:
    """A file name as text: names that are not UTF-8 (GBK, as a Windows archive unzipped on Linux
    leaves them) are decoded as GB18030, part by part; bytes neither can read are shown as \\xNN."""
    if name.isprintable() and not any("\udc80" <= c <= "\udcff" for c in name):
        return name
    parts = []
    for part in name.split("/"):
        raw = os.fsencode(part)
        for encoding in ("utf-8", "gb18030"):
            try:
                parts.append(raw.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
        else:
            parts.append(raw.decode("utf-8", errors="backslashreplace"))
    return "/".join(parts)


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:  # a GBK name from a Windows archive, as surrogates
        return False


def _source(path: Path) -> str | bytes:
    """What calamine can open: the path, or the file's bytes when its name is no UTF-8 (calamine
    takes text paths only)."""
    return str(path) if _utf8_name(path) else path.read_bytes()


def _refuse_if_not_a_workbook(head: bytes) -> None:
    """Programs "export to Excel" by writing a web page or an Excel 2003 XML spreadsheet under an
    .xls name: say what the file is and what to do, instead of calamine's error."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not text.startswith(b"<"):
        return
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head.lower() or b"<workbook" in text:
        raise FileError("这是 Excel 2003 XML 电子表格，不是 .xls/.xlsx 工作簿：请用 Excel 或 WPS 打开后"
                        "「另存为」Excel 工作簿（.xlsx）再报送")
    if text.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")) or b"<html" in text:
        raise FileError("这是网页文件（HTML），只是扩展名为 Excel：请用 Excel 或 WPS 打开后"
                        "「另存为」Excel 工作簿（.xlsx）再报送")
    raise FileError("这是文本（XML/HTML）文件，不是 Excel 工作簿：请用 Excel 或 WPS 打开后「另存为」.xlsx 再报送")


def _refuse_if_corrupt(path: Path) -> None:
    """After calamine failed: a damaged part of the archive gets a clearer message than its error.
    (Checked only then: verifying every part up front costs as much as a fifth of the read.)"""
    if path.suffix.lower() not in ZIP_EXCEL_SUFFIXES:
        return
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FileError("Excel文件已损坏或不完整（可能传输中被截断），请重新报送") from exc
    except Exception as exc:  # zlib errors from a damaged stream
        raise FileError(f"Excel文件已损坏（无法解压：{exc}），请重新导出") from exc
    if bad is not None:
        raise FileError(f"Excel文件已损坏（{bad} 校验失败），请重新导出")


def _explain_excel_error(path: Path, exc: Exception) -> str:
    text = str(exc)
    if "password" in text.lower() or "encrypt" in text.lower():
        return "文件已设置密码保护，请取消密码后重新报送"
    return f"Excel文件无法打开（{type(exc).__name__}: {text[:200]}）"


def detect_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise FileError(
            f"CSV文件编码无法识别（不是UTF-8或GBK/GB18030；第{exc.start}字节附近）"
        ) from exc


def _refuse_if_cut_off(tail: str, line_count: int, delim: str = ",") -> None:
    """A CSV whose last record has no line end and fewer fields than the record before it was cut
    off in transfer: how many rows are missing cannot be known, so the whole file is refused.
    `tail`: the end of the text (the last lines are enough); `line_count`: lines in the file. A
    record spans lines where a quoted cell holds a line break (Alt+Enter)."""
    if not tail or tail.endswith(("\n", "\r")):
        return
    lines = [line for line in re.split("\r\n|\r|\n", tail) if line.strip()]  # (\x0b, U+2028 are a cell's)
    records: list[str] = []
    while lines and len(records) < 2:  # the last two records, each as many lines as its quotes span
        record = lines.pop()
        while record.count('"') % 2 and lines:
            record = lines.pop() + "\n" + record
        records.append(record)
    if len(records) < 2:
        return
    last, before = (len(next(csv.reader([r], delimiter=delim))) for r in records)
    if last < before:
        raise FileError(
            f"文件不完整：最后一行（第{line_count}行）只有{last}列，上一行有{before}列，"
            "可能在传输中被截断，请重新报送"
        )


DELIMITERS = (",", "\t", ";", "|")


def _delimiter(head: list[str]) -> str:
    """The field separator of a CSV: of , tab ; |, the one on which the most lines agree about how
    many fields they have (more fields, then the comma, on a tie). A file saved with semicolons or
    tabs was not recognised at all; a tab-separated file's "1,234" is no comma-separated one."""
    best, score = ",", (0, 0)
    for d in DELIMITERS:
        counts = Counter(line.count(d) for line in head if d in line)
        if counts:
            fields, agree = counts.most_common(1)[0]
            if (agree, fields) > score:
                best, score = d, (agree, fields)
    return best


def _has_blank_lines(data: bytes) -> bool:
    """A line with nothing on it before the last line (substring tests: a regex costs 25 ms/MB;
    bounded searches, not a stripped copy of the file)."""
    end = len(data)
    while end and data[end - 1] in b"\r\n":
        end -= 1
    return (data.startswith((b"\n", b"\r\n"), 0, end) or data.find(b"\n\n", 0, end) >= 0
            or data.find(b"\n\r\n", 0, end) >= 0)


def _decoded(data: bytes, encoding: str) -> tuple[str, str]:
    """The file's text and its encoding: `encoding`, else the one `detect_encoding` finds."""
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        found = detect_encoding(data)
        return data.decode(found), found


SMALL_CSV = 1 << 20  # bytes: a file up to this size is checked in Python before DuckDB reads it


def read_csv(path: Path, con: duckdb.DuckDBPyConnection | None = None, data: bytes | None = None) -> Iterator[Sheet]:
    """`con`: a connection to read with (a fresh in-memory database costs ~10 ms a file); `data`:
    the file's bytes, when the caller has read them already (to hash them)."""
    data = path.read_bytes() if data is None else data
    if not data or data.isspace():
        raise FileError("文件为空")
    # A large file DuckDB can read as it is (UTF-8 without BOM: DuckDB rejects invalid UTF-8 itself)
    # is not decoded in Python first: validating 10 MB there costs a fifth of the whole read.
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    head_bytes = data[:65536] if data.count(b"\n", 0, 65536) >= 500 else data[: 1 << 20]
    head = head_bytes.decode(encoding, errors="ignore").split("\n")[:500]  # not splitlines: \x0b is a cell's
    delim = _delimiter(head)
    tail = data[-65536:].decode(encoding, errors="ignore")
    line_count = int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == 10)) + 1  # 3x bytes.count
    _refuse_if_cut_off(tail, line_count, delim)
    width = max((line.count(delim) for line in head), default=0) + 1
    table, text = None, None
    rewrite = encoding != "utf-8" or not _utf8_name(path)  # DuckDB opens UTF-8 paths only
    if len(data) <= SMALL_CSV:
        # A small file is decoded in Python first (~0.1 ms), not found to be GBK by a DuckDB read
        # that must then be done again (~4 ms): a third of a province's CSV ledgers are GBK. One
        # without quotes is split here: a DuckDB read costs ~3 ms whatever the file's size.
        text, encoding = _decoded(data, encoding)
        table = _split_csv(text, width, delim)
        if table is not None:
            yield Sheet(name=readable(path.stem), table=table)
            return
        rewrite = encoding != "utf-8" or not _utf8_name(path) or _has_blank_lines(data)
    if not rewrite:
        try:
            table = _duckdb_csv(path, width, con, delim)
        except UnicodeError:
            encoding = detect_encoding(data)  # GBK/GB18030, or a clear refusal
        else:
            # DuckDB drops blank lines, which would shift every row number after them. A file with
            # as many records as lines has none; otherwise look (a quoted cell may span lines).
            lines = line_count - (1 if data.endswith(b"\n") else 0)
            if table.num_rows != lines and _has_blank_lines(data):
                table = None
    if table is None:
        # Rewritten (blank lines marked) to a temporary UTF-8 copy DuckDB reads as it is.
        if text is None:  # a small file is decoded already; a large one DuckDB took for UTF-8 may not be
            text, _ = _decoded(data, encoding)
        text = BLANK_LINE.sub(delim, text.rstrip("\r\n"))  # a field separator marks it; no line after the last
        fd, name = tempfile.mkstemp(suffix=".csv")
        tmp = Path(name)
        try:
            with open(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            table = _duckdb_csv(tmp, width, con, delim)
        except UnicodeError as exc:  # Python took the text for UTF-8 and DuckDB did not: say so
            raise FileError(f"CSV文件编码无法识别（{str(exc).splitlines()[0][:200]}）") from exc
        finally:
            tmp.unlink(missing_ok=True)
    yield Sheet(name=readable(path.stem), table=_as_strings(table))


def _split_csv(text: str, width: int, delim: str = ",") -> pa.Table | None:
    """The table DuckDB reads (`_duckdb_csv`, blank lines kept as empty rows) from a text without
    quotes, NUL or a lone CR, split in Python; None for any other text. As DuckDB does: an empty
    field is NULL, a short line padded, fields beyond `width` dropped, trailing line ends ignored.
    tests/test_file_corpus.py holds the two readings equal."""
    if '"' in text or "\x00" in text:
        return None
    text = text.rstrip("\r\n")
    lines = text.split("\n")
    if "\r" in text:  # CRLF throughout, else DuckDB's reading of line ends decides
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        if text.count("\r\n") != len(lines) - 1 or any("\r" in line for line in lines):
            return None
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for line in lines:
        fields = line.split(delim)
        for i, column in enumerate(columns):
            column.append(fields[i] or None if i < len(fields) else None)
    return pa.table({f"c{i}": pa.array(column, pa.string()) for i, column in enumerate(columns)})


def _duckdb_csv(path: Path, width: int, con: duckdb.DuckDBPyConnection | None, delim: str = ",") -> pa.Table:
    """Every field as text, `width` columns (short lines padded). UnicodeError: not UTF-8."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    own = con is None
    con = connect() if own else con
    read = ("SELECT * FROM read_csv(?, header=false, auto_detect=false, delim=?, quote='\"', escape='\"', "
            f"null_padding=true, strict_mode=false, columns={columns}")
    try:
        try:
            return con.sql(read + ")", params=[str(path), delim]).to_arrow_table()
        except duckdb.Error as exc:
            if "quoted new lines" not in str(exc):
                raise
            # a line break inside a quoted cell (Alt+Enter in Excel): DuckDB's parallel reader
            # cannot pad short lines then; the single-threaded one can
            return con.sql(read + ", parallel=false)", params=[str(path), delim]).to_arrow_table()
    except duckdb.Error as exc:
        if "unicode" in str(exc).lower() or "utf-8" in str(exc).lower():
            raise UnicodeError(str(exc)) from exc
        raise FileError(f"CSV文件无法解析: {str(exc).splitlines()[0]}") from exc
    finally:
        if own:
            con.close()


def read_sheets(path: Path, con: duckdb.DuckDBPyConnection | None = None, data: bytes | None = None) -> list[Sheet]:
    """The sheets of a workbook or CSV file. `con`: a DuckDB connection CSV files may be read with;
    `data`: a CSV file's bytes, if read already."""
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise FileError("文件为空（0字节）")
    if suffix in EXCEL_SUFFIXES:
        return list(read_excel(path))
    if suffix in CSV_SUFFIXES:
        return list(read_csv(path, con, data))
    raise FileError(UNSUPPORTED.format(suffix=path.suffix))
