"""Ledger files into the raw layer, in the order a file passes through:

read        readers.py (a file's sheets as Arrow text), isolation.py (odd files in a child process),
            files.py (per file: sheets, period, area, batches, audit.file_loads)
recognise   layout.py (which ledger, header rows, units), headers.py (a header read as measure and
            scope), spec.py + specs/*.yaml (ledger layouts as data), wide.py (one column per indicator)
classify    rows.py (each row's kind; fill-down, group labels, 拼盘 blocks)
parse       parse.py (typed values and each cell's problem, one SQL pass), sql_parsers.py, cells.py
write       write.py (raw rows, quarantine, stated totals), running_totals.py, versions.py

loader.py runs a batch of same-layout sheets through classify → parse → write; batch.py holds what
the stages share, and the column-name prefixes they pass rows under.
"""
