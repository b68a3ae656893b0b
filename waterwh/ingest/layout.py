"""Recognise a sheet's layout: which ledger it is, where its header is, what each column means.

Works on the first rows only (titles and headers sit at the top), so it costs the same for a
60-row and a 600,000-row sheet.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

from waterwh.ingest.headers import read_header
from waterwh.ingest.spec import ColumnSpec, LedgerSpec, normalise_header
from waterwh.ingest.text import compact, nfkc, unit_in_header, unit_in_title
from waterwh.ingest.units import QUANTITY_UNITS

SCAN_ROWS = 40
MONEY_UNITS = ("元", "万元", "亿元")
# rows looked at below the best header found so far, in case a better reading starts there
DATA_ROWS_AFTER_HEADER = 3
_CJK = re.compile("[\u3400-\u9fff]")
_NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?")
_WORDS = re.compile("[\u3400-\u9fff]{2}")  # two Chinese characters: words, not a unit or a number


@dataclass
class MappedColumn:
    index: int  # column position in the sheet (0-based)
    spec: ColumnSpec
    header: str  # header text as the clerk wrote it (flattened, NFKC)
    unit: str | None  # unit stated by the header or the title, if any
    sets: dict[str, str] = field(default_factory=dict)


@dataclass
class Layout:
    spec: LedgerSpec
    header_first: int  # 0-based row index of the first header row
    header_last: int  # 0-based row index of the last header row
    columns: list[MappedColumn]
    unmapped_headers: list[tuple[int, str]]
    title: str
    score: float
    said: list[str] = field(default_factory=list)  # how headers were read beyond their own words

    @property
    def data_start(self) -> int:
        return self.header_last + 1

    def mapped(self, name: str) -> MappedColumn | None:
        for c in self.columns:
            if c.spec.name == name:
                return c
        return None


class LayoutError(Exception):
    pass


class NotALedger(LayoutError):
    """No known header anywhere in the first rows: an instructions sheet (填表说明), a chart, notes."""


def _flatten(upper: list[str], lower: list[str]) -> list[str]:
    """Join a two-row header: merged upper cells are forward-filled over the span below them."""
    out: list[str] = []
    carry = ""
    for i, (u, lo) in enumerate(zip(upper, lower, strict=False)):
        if u:
            carry = u if lo else ""
        elif lo and carry and i > 0 and lower[i - 1]:
            u = carry
        else:
            carry = ""
        if u and lo:
            out.append(f"{u}_{lo}")
        else:
            out.append(u or lo)
    return out


@functools.lru_cache(maxsize=65536)
def _candidates(header: str) -> tuple[str, ...]:
    """Texts to try against aliases, most specific first: "年度计划_投资" → 年度计划_投资,
    年度计划投资, 投资, 年度计划."""
    h = normalise_header(header)
    if "_" not in h:
        return (h,)
    upper, lower = h.split("_", 1)
    if _WORDS.search(lower):  # the lower row says what the column is: the upper alone would not
        return (h, normalise_header(upper + lower), normalise_header(lower))
    return (h, normalise_header(upper + lower), normalise_header(lower), normalise_header(upper))


def _match(spec: LedgerSpec, headers: list[str]) -> tuple[list[MappedColumn], list[tuple[int, str]]]:
    mapped: list[MappedColumn] = []
    used: set[str] = set()
    unmapped: list[tuple[int, str]] = []
    for idx, header in enumerate(headers):
        if not header:
            continue
        hit = None
        for read in (False, True):  # every spelling by its aliases first, then as read (headers.py)
            for cand in _candidates(header):
                col = next((c for c in spec.matching_columns(cand, read)
                            if c.name not in used and not c.running_total_of), None)
                if col is not None:
                    hit = (col, cand)
                    break
            if hit is not None:
                break
        if hit is None or not _same_unit(hit[0], header):
            unmapped.append((idx, header))  # "里程（天）" is no distance: listed unread, not misread
            continue
        used.add(hit[0].name)
        mapped.append(_mapped(spec, idx, header, *hit))
    _running_totals(spec, mapped, unmapped)
    return mapped, unmapped


def _mapped(spec: LedgerSpec, idx: int, header: str, col: ColumnSpec, cand: str) -> MappedColumn:
    unit = unit_in_header(header.split("_")[-1]) or unit_in_header(header.split("_")[0])
    if unit is None and col.type == "amount":  # "（万元）" inside the header, not at its end
        unit = next((u for part in header.split("_") if (u := read_header(part).unit) in MONEY_UNITS), None)
    unit = _stated_unit(col, header) or unit
    sets = dict(col.alias_sets.get(cand, {})) or spec.basis_sets(cand, col)
    stated = _BRACKETED.search(nfkc(header.split("_")[-1])) if col.unit_to else None
    if stated:  # "监测值(mg/L)": the unit of every value of a sheet without a unit column
        sets[col.unit_to] = stated.group(1)
    return MappedColumn(idx, col, header, unit, sets)


def _is_event(header: str) -> bool:
    return read_header(normalise_header(header).rpartition("_")[2]).scope == "event"


def _running_totals(spec: LedgerSpec, mapped: list[MappedColumn], unmapped: list[tuple[int, str]]) -> None:
    """A ledger of one line per arrival (本次到位金额 beside 累计到位金额): the event column is the
    amount and the cumulative one its running total, whichever comes first in the sheet. Without
    an event column a cumulative amount is the line's amount, and no running total is read."""
    for total in (c for c in spec.columns if c.running_total_of):
        amount = next((m for m in mapped if m.spec.name == total.running_total_of), None)
        if amount is None:
            continue
        fits = [(i, h) for i, h in unmapped if any(total in spec.matching_columns(c) for c in _candidates(h))]
        if _is_event(amount.header):
            pick = fits[0] if fits else None
        else:  # the cumulative column came first: it is the running total if an event column follows
            events = [(i, h) for i, h in unmapped if _is_event(h)
                      and any(amount.spec in spec.matching_columns(c) for c in _candidates(h))]
            if not events or not any(total in spec.matching_columns(c) for c in _candidates(amount.header)):
                continue
            pick = (amount.index, amount.header)
            unmapped.remove(events[0])
            mapped[mapped.index(amount)] = _mapped(spec, *events[0], amount.spec, normalise_header(events[0][1]))
            unmapped.append(pick)
        if pick is not None and _same_unit(total, pick[1]):
            unmapped.remove(pick)
            mapped.append(_mapped(spec, *pick, total, normalise_header(pick[1])))
    mapped.sort(key=lambda m: m.index)
    unmapped.sort()


_BRACKETED = re.compile(r"[(\[]\s*(?:单位[:：])?\s*([^()\[\]]+?)\s*[)\]]\s*$")


def _stated_unit(column: ColumnSpec, header: str) -> str | None:
    """The unit a quantity's header states in brackets ("里程（m）" → m), if any."""
    if column.type == "amount" or column.unit not in QUANTITY_UNITS:
        return None
    m = _BRACKETED.search(nfkc(header.split("_")[-1]))
    return m.group(1) if m else None


def _same_unit(column: ColumnSpec, header: str) -> bool:
    """False when a quantity's header states a unit the column cannot be converted from."""
    stated = _stated_unit(column, header)
    return stated is None or stated in QUANTITY_UNITS[column.unit or ""]


def quantity_factor(m: MappedColumn) -> float:
    """What one of a quantity column's stated unit is in the unit the column keeps."""
    return QUANTITY_UNITS.get(m.spec.unit or "", {}).get(m.unit or "", 1.0)


def _score(spec: LedgerSpec, mapped: list[MappedColumn]) -> float:
    """0 unless the header has every required column (what a row reports on) and, where the spec
    names evidence, one of those (what it reports); then more columns explained score higher."""
    names = {m.spec.name for m in mapped}
    required = [c.name for c in spec.required]
    if not all(r in names for r in required):
        return 0.0
    if spec.evidence and not names.intersection(spec.evidence):
        return 0.0
    return len(required) * 2 + len(names)


@dataclass
class LayoutCache:
    """What recognising layouts learns in one run, kept across its sheets: a province's twelve
    thousand ledgers are a few templates, and the same towns, names and amounts recur in every
    one. Remembering the matches of header rows takes recognising a sheet from ~0.5 to ~0.3 ms."""

    known: dict[str, bool] = field(default_factory=dict)  # cell text → a header of some spec
    text: dict[str, str] = field(default_factory=dict)  # cell as read → nfkc
    matches: dict[tuple[str, tuple[str, ...]], tuple[list[MappedColumn], list[tuple[int, str]]]] = field(
        default_factory=dict)  # (spec, header row) → _match

    LIMIT = 200_000  # entries a dict may hold before it starts again (bounds memory)

    def nfkc(self, cell: str) -> str:
        out = self.text.get(cell)
        if out is None:
            if len(self.text) > self.LIMIT:
                self.text.clear()
            out = self.text[cell] = nfkc(cell)
        return out

    def is_header(self, cell: str, specs: tuple[LedgerSpec, ...]) -> bool:
        """Whether the cell is a header of any spec: most scanned rows are data, and skip at once."""
        hit = self.known.get(cell)
        if hit is None:
            if len(self.known) > self.LIMIT:
                self.known.clear()
            # every alias holds a Chinese character: numbers and dates are never headers
            hit = self.known[cell] = bool(_CJK.search(cell)) and any(
                spec.matching_columns(c) for c in _candidates(cell) for spec in specs)
        return hit

    def match(self, spec: LedgerSpec, headers: list[str]) -> tuple[list[MappedColumn], list[tuple[int, str]]]:
        """`_match`, remembered: shared, not to be changed (detect_layout copies the one it keeps)."""
        key = (spec.ledger_type, tuple(headers))
        found = self.matches.get(key)
        if found is None:
            if len(self.matches) > self.LIMIT:
                self.matches.clear()
            found = self.matches[key] = _match(spec, headers)
        return found


def detect_layout(rows: list[list[str]], specs: tuple[LedgerSpec, ...], cache: LayoutCache | None = None) -> Layout:
    """Find the best (spec, header rows) over the first rows of a sheet (`cache`: see LayoutCache)."""
    cache = cache or LayoutCache()
    raw = rows[:SCAN_ROWS]
    rows = []  # normalised as the scan reaches them: it stops a few rows into the data

    def row_at(i: int) -> list[str]:
        while len(rows) <= i:
            rows.append([cache.nfkc(c) for c in raw[len(rows)]])
        return rows[i]

    best: Layout | None = None
    rival: tuple[LedgerSpec, list[MappedColumn]] | None = None  # another ledger the header fits as well
    for i in range(len(raw)):
        if best is not None and i > best.header_last + DATA_ROWS_AFTER_HEADER:
            break  # well into the data: the header is behind us (most of the 40 rows are data)
        row = row_at(i)
        filled = sum(1 for c in row if c)
        if filled < 2:
            continue
        options = [(i, i, row)]
        if i + 1 < len(raw) and sum(1 for c in row_at(i + 1) if _NUMBER.fullmatch(c)) < 2:
            # the row below as the lower half of a two-row header; a row with numbers is data
            # (joined with a header row, its cells were new texts to match against every spec)
            options.append((i, i + 1, _flatten(row, row_at(i + 1))))
        for first, last, headers in options:
            if sum(1 for h in headers if h and cache.is_header(h, specs)) < 2:
                continue  # every spec needs at least two known headers
            for spec in specs:
                mapped, unmapped = cache.match(spec, headers)
                score = _score(spec, mapped)
                # Prefer the two-row reading only when it explains more columns.
                if score and (best is None or score > best.score):
                    title = "\n".join(" ".join(c for c in r if c) for r in rows[:first])
                    best = Layout(spec, first, last, mapped, unmapped, title.strip(), score)
                    rival = None
                elif score and best is not None and score == best.score and spec is not best.spec \
                        and (first, last) == (best.header_first, best.header_last):
                    rival = (spec, mapped)
    if best is not None and rival is not None:
        raise LayoutError(_tie_message(best, *rival))
    if best is None:
        message, near = _unknown_layout_message([row_at(i) for i in range(len(raw))], specs)
        raise (LayoutError if near else NotALedger)(message)
    return _own(best)


def _own(layout: Layout) -> Layout:
    """The layout with columns of its own (the matches are shared), read against its title."""
    layout.columns = [replace(m, sets=dict(m.sets)) for m in layout.columns]  # its own: units are set below
    layout.unmapped_headers = list(layout.unmapped_headers)
    _as_of_title(layout)
    sheet_unit = unit_in_title(layout.title)
    for m in layout.columns:
        if m.unit is None and sheet_unit and m.spec.type == "amount":
            m.unit = sheet_unit
    return layout


def _year_of(part: str) -> int | None:
    """The year a header part is of ("2024年_计划" → 2024); not the one a before-year scope names
    ("至2024年底累计完成投资" is of the ledger's year)."""
    reading = read_header(part)
    return reading.year if reading.scope != "before_year" else None


def header_years(layout: Layout) -> list[int]:
    """The years the header's cells are of ("2024年_计划", "2025年完成投资"), in order."""
    headers = [h for _, h in layout.unmapped_headers] + [m.header for m in layout.columns]
    return sorted({y for h in headers for part in h.split("_") if (y := _year_of(part))})


def keep_year(layout: Layout, year: int) -> Layout:
    """A header of years × measures (2023年 [计划 | 完成] | 2024年 […] | 2025年 […]): read the
    columns of the ledger's own year; the other years' are listed unread, not taken as this year's."""
    headers = dict(layout.unmapped_headers) | {m.index: m.header for m in layout.columns}
    other = {i for i, h in headers.items() if any((y := _year_of(p)) and y != year for p in h.split("_"))}
    mapped, unmapped = _match(layout.spec, [("" if i in other else headers.get(i, ""))
                                            for i in range(max(headers) + 1)])
    kept = Layout(layout.spec, layout.header_first, layout.header_last, mapped,
                  sorted([*unmapped, *((i, headers[i]) for i in other)]), layout.title, layout.score)
    kept.said.append(f"表头按年度分列（{'、'.join(f'{y}年' for y in header_years(layout))}）：读取{year}年的列，"
                     "其他年度的列未读取")
    return _own(kept)


_AS_OF = re.compile(r"(截至|截止)(?!上年|去年|\d{4}年底)")


def _as_of_title(layout: Layout) -> None:
    """A title "…（截至2025年3月）" states figures as of that date: a measure whose header gives no
    period ("完成投资") is the cumulative one, said so."""
    if not _AS_OF.search(layout.title):
        return
    used = {m.spec.name for m in layout.columns}
    for idx, header in list(layout.unmapped_headers):
        spec = layout.spec
        col = next((c for cand in _candidates(header) for c in spec.reading_columns(cand, scope_else="cumulative")
                    if c.name not in used and not c.running_total_of), None)
        if col is None or not _same_unit(col, header):
            continue
        used.add(col.name)
        layout.unmapped_headers.remove((idx, header))
        layout.columns.append(_mapped(spec, idx, header, col, normalise_header(header)))
        layout.said.append(f"「{header.replace('_', '')}」未注明期间，按标题所写的截至日期读作开工以来累计")
    layout.columns.sort(key=lambda m: m.index)


def _tie_message(best: Layout, spec: LedgerSpec, mapped: list[MappedColumn]) -> str:
    """Two ledgers fit the header equally well: name both and a header that would tell them apart."""
    def missing(s: LedgerSpec, have: set[str]) -> str:
        wanted = [c for c in s.columns if c.name not in have and c.aliases and not c.derived
                  and (c.name in s.identity or c.required or c.name in s.evidence)]
        return f"「{wanted[0].aliases[0]}」" if wanted else "它特有的列"

    a, b = {m.spec.name for m in best.columns}, {m.spec.name for m in mapped}
    return (f"无法确定台账类型：第{best.header_first + 1}行的表头既像「{best.spec.name_zh}」也像「{spec.name_zh}」"
            f"（同样多的列相符）。请加上{missing(best.spec, a)}（{best.spec.name_zh}）"
            f"或{missing(spec, b)}（{spec.name_zh}）一列，或在标题中写明台账名称")


NO_KNOWN_HEADER = f"无法识别台账类型：前{SCAN_ROWS}行中没有找到任何已知的表头（如 项目名称、总投资、资金来源…）"


def _unknown_layout_message(rows: list[list[str]], specs: tuple[LedgerSpec, ...]) -> tuple[str, bool]:
    """Say which ledger the sheet came closest to and which required headers are missing; and
    whether it came near one (two known headers or more: else a notes sheet, not a failed ledger)."""
    best_spec, best_missing, best_row, best_key = None, None, None, (0, 0)
    best_found: list[str] = []
    for i, row in enumerate(rows):
        for spec in specs:
            mapped, _ = _match(spec, row)
            names = {m.spec.name for m in mapped}
            missing = [c for c in spec.required if c.name not in names]
            if spec.evidence and not names.intersection(spec.evidence):
                missing.append(spec.column(spec.evidence[0]))  # (what a sheet of it reports: one at least)
            key = (len(names), -len(missing))  # most columns explained, then fewest missing
            if names and key > best_key:
                best_spec, best_missing, best_row, best_key = spec, missing, i, key
                best_found = [m.header for m in mapped]
    if best_spec is None or best_missing is None or best_row is None:
        return NO_KNOWN_HEADER, False
    if best_key[0] == 1:
        return (f"无法识别台账类型：前{SCAN_ROWS}行中只认出一个表头「{best_found[0]}」（第{best_row + 1}行），"
                "至少要认出两个表头才能判断是哪种台账"), False
    need = "、".join(f"「{c.aliases[0]}」({c.name})" for c in best_missing)
    return (
        f"无法识别台账类型：第{best_row + 1}行最像「{best_spec.name_zh}」的表头，"
        f"但缺少必需的列：{need}" + _teach_missing(best_spec, best_missing, rows[best_row])
    ), True


def _teach_missing(spec: LedgerSpec, missing: list[ColumnSpec], row: list[str]) -> str:
    """For each missing column, the header of the row that comes closest, and what would teach it."""
    from waterwh.ingest.teach import suggest

    said = []
    for column in missing:
        others = {c.name for c in spec.columns} - {column.name}
        guesses = [suggest(spec, h, others) for h in row if h and not spec.matching_columns(normalise_header(h))]
        guess = max((g for g in guesses if g.column), key=lambda g: g.similarity, default=None)
        if guess is not None:
            said.append(f"。表头「{guess.header}」最像 {column.name}（相似度 {guess.similarity:.2f}），如确是此列，"
                        f"在 $WATERWH_HOME/specs/ 下的 .yaml 文件中写：\n{guess.yaml(spec)}")
    return "".join(said)


SCOPE = re.compile(
    r"([\u4e00-\u9fa5X]{1,10}?(?:省|自治州|州|市|县|区|镇|乡|街道))"
    r"(?=\d{4}年|\d{1,2}月|\d{1,2}-\d{1,2}月|重点|水利|水务|河|湖|资金|项目|投资|指标|巡|清四乱|"
    r"执法|审批|设计|农村|水资源|前期|关于|上半年|下半年|一季度|全年|截)"
)


_AREA_FOLDER = re.compile(r"[\u4e00-\u9fa5]{1,10}?(?:省|自治州|州|市|县|区|镇|乡|街道)")


def find_scope(*texts: str, folders: tuple[str, ...] = ()) -> str | None:
    """The reporting unit a title names ("青溪县2025年1-3月…台账" → 青溪县); failing that, the
    nearest folder of the landing tree named after an area ("青溪县/投资/台账.xlsx" → 青溪县)."""
    for text in texts:
        for line in nfkc(text).split("\n"):
            m = SCOPE.search(compact(line))
            if m:
                return m.group(1)
    for folder in reversed(folders):
        if _AREA_FOLDER.fullmatch(compact(folder)):
            return compact(folder)
    return None
