"""Money by source in column blocks, turned into one line per source.

Real funding ledgers often spread a project's money over its sources in blocks of columns, a
measure over its sources or a source over its measures:

    项目名称 | 计划下达资金（万元）           | 累计拨付资金（万元）           | …
             | 1、车购税 | 2、国债 | 3、省债   | 1、车购税 | 2、国债 | 3、省债   |

    项目名称 | 中央                     | 省级                     | …
             | 下达 | 到位 | 支出        | 下达 | 到位 | 支出        |

A spec with `blocks:` (funding.yaml) names the columns a block's source goes to (资金来源, read as
the fund level where it names one, and 资金名称, as written). Such a
sheet becomes its long form: the title rows kept, a header of the columns outside the blocks, the
source column and one column per measure, then one row per (row × source) that holds a value. It is
then recognised and loaded like any other sheet, each value reported at its own cell (`Sheet.origin`).
A block column named 合计/小计 is the row's total over its sources, not a source: it is left out and
listed as a header not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from waterwh.ingest.headers import header_words, read_header
from waterwh.ingest.readers import Sheet
from waterwh.ingest.spec import LedgerSpec, normalise_header
from waterwh.ingest.text import nfkc

SCAN_ROWS = 40
_NUMBERING = re.compile(r"^[(]?[0-9一二三四五六七八九十]+[)、.．]\s*|^其中[:：]?")  # "1、车购税", "其中政府投资"
_TOTAL = re.compile(r"^(合\s*计|小\s*计|总\s*计)$")
_CJK = re.compile("[\u4e00-\u9fff]")
_NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?%?")


@dataclass(frozen=True)
class Block:
    column: int  # the sheet's column of this measure × source
    measure: str  # the measure's header as written ("计划下达资金（万元）")
    source: str  # the source, numbering off ("车购税")
    header: str  # upper and lower header, as the clerk sees them


@dataclass(frozen=True)
class BlockLayout:
    spec: LedgerSpec
    header_row: int  # 0-based row of the upper header row (the lower is the next)
    kept: tuple[tuple[int, str], ...]  # columns outside the blocks: (column, header)
    blocks: tuple[Block, ...]
    unread: tuple[str, ...]  # block columns that are totals over the sources

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(b.source for b in self.blocks))

    @property
    def measures(self) -> list[str]:
        return list(dict.fromkeys(b.measure for b in self.blocks))


def _is_measure(spec: LedgerSpec, text: str) -> bool:
    return any(c.type == "amount" for c in spec.matching_columns(normalise_header(text)))


def _source(text: str) -> str | None:
    """A block's source as named ("1、车购税" → 车购税); None for a period (本年, 2024年) or scope word."""
    source = _NUMBERING.sub("", nfkc(text).strip()).strip()
    reading = read_header(source)
    if reading.scope or reading.year or any(source == word for word, _ in header_words().scopes):
        return None
    return source


def detect_blocks(rows: list[list[str]], spec: LedgerSpec, near: int | None = None) -> BlockLayout | None:
    """The column blocks of a sheet's first rows for `spec`, or None when it has none; `near`: the
    row a header was found at, when one was (the blocks' upper row is it or the row above)."""
    if not spec.blocks:
        return None
    head = rows[:SCAN_ROWS]
    tried = range(len(head) - 1) if near is None else range(max(near - 1, 0), min(near + 1, len(head) - 1))
    for i in tried:
        upper, lower = head[i], head[i + 1]
        filled = [c for c in lower if c.strip()]
        if len(filled) < 2 or sum(1 for c in filled if _NUMBER.fullmatch(c.strip())) >= 2:
            continue  # a row of numbers is data, not the lower half of a header
        kept, blocks, unread = [], [], []
        carry = ""
        for j in range(max(len(upper), len(lower))):
            u = upper[j].strip() if j < len(upper) else ""
            lo = lower[j].strip() if j < len(lower) else ""
            if u:
                carry = u
            elif not lo:
                carry = ""
            above = u or (carry if lo else "")
            if not (above and lo):
                if u or lo:
                    kept.append((j, u or lo))
                continue
            if _is_measure(spec, above) and not _is_measure(spec, lo):
                measure, source = above, lo
            elif _is_measure(spec, lo) and not _is_measure(spec, above):
                measure, source = lo, above
            else:
                kept.append((j, f"{above}_{lo}"))
                continue
            source = _source(source)
            if source is None:
                kept.append((j, f"{above}_{lo}"))
            elif _TOTAL.match(source):
                unread.append(f"{above}_{lo}")
            elif _CJK.search(source):
                blocks.append(Block(j, measure, source, f"{above}_{lo}"))
            else:
                kept.append((j, f"{above}_{lo}"))
        layout = BlockLayout(spec, i, tuple(kept), tuple(blocks), tuple(unread))
        if len(layout.sources) >= 2 and kept:
            return layout
    return None


def unpivot_blocks(sheet: Sheet, layout: BlockLayout) -> Sheet:
    """The sheet in its long form: title rows, one header row, one row per row × source with a value."""
    targets = layout.spec.blocks["source"]  # the columns a block's source goes to (资金来源, 资金名称)
    words = [layout.spec.column(c).aliases[0] for c in targets]
    headers = [h for _, h in layout.kept] + words + layout.measures
    at = {(b.measure, b.source): b for b in layout.blocks}
    table = sheet.table
    columns = [table.column(j).to_pylist() for j in range(table.num_columns)]

    def cell(j: int, r: int) -> str | None:
        return columns[j][r] if j < len(columns) else None

    out: list[list[str | None]] = [[] for _ in headers]
    letters: list[list[int]] = [[] for _ in headers]
    said: list[list[str]] = [[] for _ in headers]
    rows: list[int] = []

    def add(values: list[str | None], where: list[int], shown: list[str], row: int) -> None:
        for k, (v, j, h) in enumerate(zip(values, where, shown, strict=True)):
            out[k].append(v)
            letters[k].append(j)
            said[k].append(h)
        rows.append(row)

    kept_cols = [j for j, _ in layout.kept]
    first_block = layout.blocks[0].column
    for r in range(layout.header_row):  # the title rows, as they were
        add([cell(k, r) for k in range(len(headers))], list(range(len(headers))), [""] * len(headers), r + 1)
    add(headers, [*kept_cols, *[first_block] * len(words), *(at[(m, layout.sources[0])].column
                                                             if (m, layout.sources[0]) in at else first_block
                                                             for m in layout.measures)],
        [""] * len(headers), layout.header_row + 2)
    for r in range(layout.header_row + 2, table.num_rows):
        for source in layout.sources:
            cells = [at.get((m, source)) for m in layout.measures]
            values = [cell(b.column, r) if b else None for b in cells]
            if not any((v or "").strip() for v in values):
                continue
            here = next(b for b in cells if b)
            add([cell(j, r) for j in kept_cols] + [source] * len(words) + values,
                [*kept_cols, *[here.column] * len(words), *(b.column if b else here.column for b in cells)],
                [""] * len(kept_cols) + [here.header] * len(words) + [b.header if b else "" for b in cells], r + 1)
    long = pa.table({f"c{k}": pa.array(values, pa.string()) for k, values in enumerate(out)})
    origin = {k: (np.asarray(letters[k], dtype=np.int32), said[k]) for k in range(len(headers))}
    return Sheet(sheet.name, long, {}, sheet.hidden, row_numbers=np.asarray(rows, dtype=np.int32), origin=origin)
