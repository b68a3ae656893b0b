"""Byte-level facts about cells, read straight from Arrow's string buffers with numpy.

Most cells of a ledger need no normalisation at all. Telling which do is a scan of every byte:
a regular expression over each row's text cost ~60 ms per 100,000 rows (joining the row's cells
and matching); comparisons over the columns' bytes cost ~1 ms a column.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_BLOCK = 1 << 16
_SPECIAL_BYTES = (ord("#"), ord("["), 0x7F, 0xC2, 0xE2, 0xE3, 0xEF)


def _special_positions(data: np.ndarray) -> np.ndarray:
    """Positions of bytes that start a character normalisation acts on (sql_parsers.NEEDS_NORM):
    ASCII controls and space, DEL, '#', '[', and the lead bytes of U+00A0, U+2000-U+200F, U+3000,
    U+FF00-U+FF7F and U+FEFF. A multi-byte lead is confirmed by the bytes after it (by the caller);
    a cell flagged wrongly only takes the slow path (normalisation leaves it as it is), a missed
    one would skip a rule: the sets only widen. Comparisons into two reused block-sized buffers:
    a lookup table costs 4x, and fresh column-sized temporaries 2x (a page fault per 4 KB)."""
    found = []
    hit = np.empty(min(len(data), _BLOCK), dtype=bool)
    tmp = np.empty_like(hit)
    for start in range(0, len(data), _BLOCK):
        block = data[start : start + _BLOCK]
        h, t = hit[: len(block)], tmp[: len(block)]
        np.less_equal(block, 32, out=h)
        for byte in _SPECIAL_BYTES:
            np.equal(block, byte, out=t)
            h |= t
        pos = np.flatnonzero(h)
        if len(pos):
            found.append(pos + start)
    return np.concatenate(found) if found else np.empty(0, dtype=np.intp)


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, data, filled) of a string array: offsets into `data` (n + 1 of them, the first
    one 0), its bytes, and whether each cell is neither NULL nor empty."""
    n = len(arr)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())  # string views and the like
    if n == 0 or arr.null_count == n:
        return np.zeros(n + 1, dtype=np.int64), np.empty(0, dtype=np.uint8), np.zeros(n, dtype=bool)
    validity, offsets_buf, data_buf = arr.buffers()
    offset_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=offset_type)[arr.offset : arr.offset + n + 1]
    filled = offsets[1:] > offsets[:-1]
    if validity is not None and arr.null_count:
        filled &= np.unpackbits(np.frombuffer(validity, dtype=np.uint8), count=arr.offset + n,
                                bitorder="little")[arr.offset :].astype(bool)
    if data_buf is None or offsets[-1] == offsets[0]:
        return offsets - offsets[0], np.empty(0, dtype=np.uint8), filled
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return offsets - offsets[0], data, filled


def _chunk_flags(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    offsets, data, filled = _buffers(arr)
    dirty = np.zeros(len(arr), dtype=bool)
    if len(data) == 0:
        return dirty, filled
    pos = _special_positions(data)
    if len(pos) == 0:
        return dirty, filled
    lead = data[pos]
    multi = lead >= 0x80
    if multi.any():
        at = pos[multi]
        b0 = lead[multi]
        b1 = data[np.minimum(at + 1, len(data) - 1)]
        b2 = data[np.minimum(at + 2, len(data) - 1)]
        keep = np.select(
            [b0 == 0xC2, b0 == 0xE2, b0 == 0xE3],
            [b1 == 0xA0, (b1 == 0x80) & (b2 <= 0x8F), (b1 == 0x80) & (b2 == 0x80)],
            default=(b1 == 0xBC) | (b1 == 0xBD) | (b1 == 0xBB),  # 0xEF
        )
        pos = np.concatenate([pos[~multi], at[keep]])
    if len(pos):
        dirty[np.searchsorted(offsets[1:], pos, side="right")] = True
    return dirty, filled


def one_array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The column as one array: a batch of a thousand small sheets has a thousand chunks, and one
    pass over one copy is cheaper than a thousand small passes (~0.1 ms of numpy calls each)."""
    if isinstance(column, pa.Array):
        return column
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def cell_flags(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: (dirty, filled). Dirty: it holds a character normalisation would change
    (whitespace, full-width forms, noise-token marks); NULL cells are clean. Filled: neither NULL
    nor the empty string."""
    return _chunk_flags(one_array(column))


def first_bytes(arr: pa.Array) -> np.ndarray:
    """Per cell, its first three bytes as one number (b0 << 16 | b1 << 8 | b2; 0 for NULL or
    empty, missing bytes 0): what a cell starts with, tested on every row for the price of a
    gather (a CJK character is three bytes in UTF-8)."""
    offsets, data, filled = _buffers(arr)
    out = np.zeros(len(arr), dtype=np.uint32)
    if len(data):
        out[filled] = _codes(offsets, data, filled)
    return out


def _codes(offsets: np.ndarray, data: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """`first_bytes` of the non-empty cells selected by `cells` (positions or a mask)."""
    start, end = offsets[:-1][cells], offsets[1:][cells]
    padded = np.concatenate([data, np.zeros(2, dtype=np.uint8)])
    code = padded[start].astype(np.uint32) << 16
    code |= np.where(start + 1 < end, padded[start + 1], 0).astype(np.uint32) << 8
    code |= np.where(start + 2 < end, padded[start + 2], 0).astype(np.uint32)
    return code


def code_of(text: str) -> int:
    """The `first_bytes` number of a cell that starts with `text` (its first three bytes)."""
    b = text.encode()[:3].ljust(3, b"\0")
    return b[0] << 16 | b[1] << 8 | b[2]


def rows_containing(arr: pa.Array, *needles: str) -> np.ndarray:
    """Per cell, whether it may contain one of `needles`: a superset (a match may straddle two
    cells), found by `bytes.find` over the whole data buffer, for needles most cells lack (计, 其中)."""
    offsets, data, _ = _buffers(arr)
    out = np.zeros(len(arr), dtype=bool)
    raw, found = data.tobytes(), []
    for pat in (n.encode() for n in needles):
        at = raw.find(pat)
        while at >= 0:
            found.append(at)
            at = raw.find(pat, at + 1)
    if found:
        out[np.searchsorted(offsets[1:], np.array(found), side="right")] = True
    return out


def only_bytes(arr: pa.Array, allowed: bytes) -> bool:
    """Whether every byte of every cell is one of `allowed`."""
    return not bytes(_buffers(arr)[1]).translate(None, allowed)


def nothing(arr: pa.Array, tokens: tuple[str, ...]) -> np.ndarray:
    """Per cell, whether it is NULL or one of `tokens` ('—', '/', '无': a cell that means nothing).
    Only cells of a token's length that start with a token's first byte, then its first three,
    are compared (a hash lookup of every cell cost ~1.7 ms per 100,000; of every cell of a column
    of 新建/续建, whose first byte is 无's, ~17 ms). Tables of 256 entries, not `np.isin`, which
    sorts."""
    offsets, data, filled = _buffers(arr)
    out = pc.is_null(arr).to_numpy(zero_copy_only=False)
    encoded = [t.encode() for t in tokens]
    lengths = np.diff(offsets)
    length_ok = np.zeros(256, dtype=bool)
    length_ok[[len(t) for t in encoded]] = True
    lead_ok = np.zeros(256, dtype=bool)
    lead_ok[[t[0] for t in encoded]] = True
    maybe = np.flatnonzero(filled & length_ok[np.minimum(lengths, 255)])
    maybe = maybe[lead_ok[data[offsets[:-1][maybe]]]]
    if len(maybe):
        maybe = maybe[np.isin(_codes(offsets, data, maybe), [code_of(t) for t in tokens])]
    if len(maybe):
        words = set(tokens)
        out[maybe] = [v in words for v in arr.take(pa.array(maybe)).to_pylist()]
    return out


def put_cells(column: pa.Array, at: np.ndarray | list[int], values: list[str | None]) -> pa.Array:
    """The column with the cells at `at` (ascending, as replace_with_mask takes them) set to `values`."""
    mask = np.zeros(len(column), dtype=bool)
    mask[at] = True
    return pc.replace_with_mask(column, pa.array(mask), pa.array(values, column.type))


def has_text(column: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any cell holds a character that is not whitespace (Python's `str.strip` sense):
    the cells' bytes decoded together, instead of a Python string per cell."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    for chunk in chunks:
        if chunk.null_count:  # a NULL's slot may hold bytes
            chunk = pc.fill_null(chunk, "")
        _, data, filled = _buffers(chunk)
        if filled.any() and not data.tobytes().decode("utf-8", "replace").isspace():
            return True
    return False
