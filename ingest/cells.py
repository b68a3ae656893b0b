"""Byte-level facts about cells, read straight from Arrow's string buffers with numpy.

Most cells of a ledger need no normalisation at all. Telling which do is a scan of every byte:
a regular expression over each row's text cost ~60 ms per 100,000 rows (joining the row's cells
and matching); comparisons over the columns' bytes cost ~1 ms a column.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_BLOCK = 1 << 16
_SPECIAL_BYTES = (ord("#"), ord("["), 0xC2, 0xE2, 0xE3, 0xEF)


def _special_positions(data: np.ndarray) -> np.ndarray:
    """Positions of bytes that start a character normalisation acts on (sql_parsers.NEEDS_NORM):
    ASCII controls and space, '#', '[', and the lead bytes of U+00A0, U+2000-U+200F, U+3000,
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


def _chunk_flags(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    n = len(arr)
    dirty = np.zeros(n, dtype=bool)
    if n == 0 or arr.null_count == n:
        return dirty, np.zeros(n, dtype=bool)
    if pa.types.is_large_string(arr.type):
        offset_type = np.int64
    elif pa.types.is_string(arr.type):
        offset_type = np.int32
    else:  # string views and the like: as plain strings first
        return _chunk_flags(arr.cast(pa.string()))
    validity, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=offset_type)[arr.offset : arr.offset + n + 1]
    filled = offsets[1:] > offsets[:-1]
    if validity is not None and arr.null_count:
        filled &= np.unpackbits(np.frombuffer(validity, dtype=np.uint8), count=arr.offset + n,
                                bitorder="little")[arr.offset :].astype(bool)
    if data_buf is None or offsets[-1] == offsets[0]:
        return dirty, filled
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
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
        dirty[np.searchsorted(offsets[1:] - offsets[0], pos, side="right")] = True
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
