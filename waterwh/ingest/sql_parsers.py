"""Cell parsers as DuckDB macros: one vectorised implementation of every cleaning rule.

Why SQL: a province's ledgers hold millions of cells; parsing them in Python would cost more
than reading the workbook. Property tests call these macros through `parse_values`.

Rules (domain.md section 3): NFKC-style full-width → ASCII, noise tokens (##paidbegin##,
[bookmark: …]) stripped, Unicode spaces collapsed; '—', '/', '-', '无' are empty (NULL, not 0);
"约2395万元" → 2395 approx; "80余件" → 80 gt; "2万余次" → 20000 gt; "70％以上" → 0.70 ge;
"不足6%" → 0.06 lt; Western and Chinese thousands separators; units in the cell override the
header; Excel date serials (20000–60000) and Chinese dates (numerals too); "5月10日", "6月底",
"10月上旬" with the year of the ledger; deadlines "2024年上半年", "三季度", "年底".
"""

from __future__ import annotations

import duckdb

from waterwh.ingest.db import connect
from waterwh.ingest.units import CELL_UNITS, COUNT_WORDS, alternatives

_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_HALF = ("".join(chr(c) for c in range(0x21, 0x7F)) + " ").replace("'", "''")
_SPACES = "[\\s\u3000\u2003\u2002\u00a0\u200b\ufeff]+"
_NOISE = r"##\w+##|\[bookmark:[^\]]*\]"
# Any character that full-width folding, noise removal or space collapsing would change.
NEEDS_NORM = "[\\s\uff01-\uff5e\u3000\u2003\u2002\u00a0\u200b\ufeff#\\[\\x00-\\x08\\x0b\\x0e-\\x1f\\x7f]"
# Control characters (NUL from a C program's export, \x0b from a line break in an old Excel cell…):
# removed from every cell, never stored. Tab, line feed, form feed and CR are whitespace, collapsed.
_CONTROLS = "[\\x00-\\x08\\x0b\\x0e-\\x1f\\x7f]"
NULL_TOKENS = ("-", "--", "—", "——", "/", "\\", "无", "N/A", "NA", "…", "——/", "#N/A")

_QUALIFIERS = "约|左右|余|多|以上|以下|超过|超出|超|不足|不到|低于|高于|近|达"
_UNITS = alternatives(CELL_UNITS)
_COUNT_WORDS = alternatives(COUNT_WORDS)
# The unit a number is written with, at the end of its cell ("2.8万t/d", "6636万m³", "68.05%", "2万余次"):
# the units above; a bare 万/亿 is a multiplier, tried only when no unit starts with it.
CELL_UNIT = r"\d\s*(?:万|亿)??(?:" + _QUALIFIERS + r")?\s*(?P<unit>" + "|".join(
    u for u in _UNITS.split("|") if u not in ("万", "亿")) + r")\s*(?:" + _QUALIFIERS + r")?\s*$"

MACROS = [
    # Normalised text: full-width → ASCII, noise tokens out, whitespace collapsed, '' → NULL.
    # translate() costs ~4 µs a cell; most cells are plain ASCII, so only translate when needed.
    f"""CREATE OR REPLACE MACRO wh_fullwidth(s) AS CASE
        WHEN regexp_matches(s, '[\uff01-\uff5e\u3000]') THEN translate(s, '{_FULL}', '{_HALF}')
        ELSE s END""",
    # Normalised text: full-width → ASCII, noise tokens out, whitespace collapsed, '' → NULL.
    # Most cells hold none of the characters any of that acts on: one test lets them skip the
    # three passes. The loader applies the same rule in Python (text.normalise_cells, held equal
    # to this macro by tests/test_cells.py) to the few cells that need it: translate() is slow.
    f"""CREATE OR REPLACE MACRO wh_norm(s) AS CASE
        WHEN NOT regexp_matches(CAST(s AS VARCHAR), '{NEEDS_NORM}') THEN nullif(CAST(s AS VARCHAR), '')
        ELSE nullif(trim(regexp_replace(regexp_replace(regexp_replace(
            wh_fullwidth(CAST(s AS VARCHAR)), '{_CONTROLS}', '', 'g'), '{_NOISE}', '', 'g'), '{_SPACES}', ' ', 'g')),
            '') END""",
    "CREATE OR REPLACE MACRO wh_is_null_token(n) AS n IS NULL OR n IN ("
    + ", ".join(f"'{t}'" for t in NULL_TOKENS)
    + ")",
    # A plain number (most cells) has no qualifier: one cast instead of four regular expressions.
    # The *_of(n, d, ...) forms take d = try_cast(n AS DOUBLE) computed once by the caller (the
    # loader reuses it for every expression of a cell); the short forms compute it themselves.
    """CREATE OR REPLACE MACRO wh_qualifier_of(n, d) AS CASE
        WHEN isfinite(d) THEN NULL
        WHEN regexp_matches(n, '约|左右|近') THEN 'approx'
        WHEN regexp_matches(n, '以上|高于') THEN 'ge'
        WHEN regexp_matches(n, '余|多|超') THEN 'gt'
        WHEN regexp_matches(n, '不足|不到|低于|以下') THEN 'lt' END""",
    "CREATE OR REPLACE MACRO wh_qualifier(n) AS wh_qualifier_of(n, try_cast(n AS DOUBLE))",
    # Multiplier of a bare 万/亿 in counts ("2万余次"), not of units such as 万元 or 万m3.
    f"""CREATE OR REPLACE MACRO wh_multiplier(n) AS CASE
        WHEN regexp_matches(n, '\\d万({_QUALIFIERS})?({_COUNT_WORDS})?({_QUALIFIERS})?$') THEN 10000
        WHEN regexp_matches(n, '\\d亿({_QUALIFIERS})?({_COUNT_WORDS})?({_QUALIFIERS})?$')
            THEN 100000000
        ELSE 1 END""",
    f"""CREATE OR REPLACE MACRO wh_num_core(n) AS regexp_replace(regexp_replace(n,
        '{_QUALIFIERS}', '', 'g'), '{_UNITS}|\\s', '', 'g')""",
    """CREATE OR REPLACE MACRO wh_num_plain(c) AS CASE
        WHEN regexp_full_match(c, '[+-]?\\d{1,3}(,\\d{3})+(\\.\\d+)?') THEN replace(c, ',', '')
        ELSE c END""",
    # A number from a normalised cell, NULL when there is none (no unit conversion).
    # Fast path first: most cells are plain numbers and need no regular expression at all.
    """CREATE OR REPLACE MACRO wh_number_of(n, d) AS CASE
        WHEN isfinite(d) THEN d
        WHEN wh_is_null_token(n) THEN NULL
        ELSE CASE WHEN regexp_full_match(wh_num_plain(wh_num_core(n)),
                    '[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?')
             THEN CAST(wh_num_plain(wh_num_core(n)) AS DOUBLE) * wh_multiplier(n) END
        END""",
    "CREATE OR REPLACE MACRO wh_number(n) AS wh_number_of(n, try_cast(n AS DOUBLE))",
    # Money unit written in the cell ("11.97亿元"); overrides the header's.
    "CREATE OR REPLACE MACRO wh_money_unit(n) AS "
    "nullif(regexp_extract(n, '(亿元|万元|欧元|美元|元)', 1), '')",
    """CREATE OR REPLACE MACRO wh_to_wan_of(n, d, header_factor) AS CASE
        WHEN isfinite(d) THEN d * header_factor
        ELSE wh_number_of(n, d) * CASE wh_money_unit(n) WHEN '亿元' THEN 10000 WHEN '万元' THEN 1
            WHEN '元' THEN 0.0001 ELSE header_factor END END""",
    "CREATE OR REPLACE MACRO wh_to_wan(n, header_factor) AS wh_to_wan_of(n, try_cast(n AS DOUBLE), header_factor)",
    # Percent forms: "68.05%", 0.6805, 68.05 under a (%) header; values above 1.5 are points.
    """CREATE OR REPLACE MACRO wh_pct_of(n, d, header_is_pct) AS CASE
        WHEN wh_number_of(n, d) IS NULL THEN NULL
        WHEN contains(n, '%') THEN wh_number_of(n, d) / 100
        WHEN header_is_pct AND wh_number_of(n, d) > 1 THEN wh_number_of(n, d) / 100
        WHEN wh_number_of(n, d) > 1.5 THEN wh_number_of(n, d) / 100
        ELSE wh_number_of(n, d) END""",
    "CREATE OR REPLACE MACRO wh_pct(n, header_is_pct) AS wh_pct_of(n, try_cast(n AS DOUBLE), header_is_pct)",
    # "2023年6月底", "10月上旬": that month (in the ledger's year when none is written) on a given day.
    """CREATE OR REPLACE MACRO wh_month_day(n, year_hint, day_of_month) AS make_date(
        coalesce(CAST(nullif(regexp_extract(n, '^(\\d{4})', 1), '') AS INTEGER), year_hint),
        CAST(regexp_extract(n, '(\\d{1,2})\\s*月?(份)?(上旬|中旬|下旬|底|末|初|前|之前)?$', 1) AS INTEGER),
        day_of_month)""",
    # The year a date cell names, else the ledger's.
    """CREATE OR REPLACE MACRO wh_year_of(n, year_hint) AS
        coalesce(CAST(nullif(regexp_extract(n, '^(\\d{4})\\s*年', 1), '') AS INTEGER), year_hint)""",
    # Dates as bureaus write them: Excel serials, ISO/Chinese/slashed dates, "5月10日" and "6月底"/
    # "10月上旬" in the ledger's year, and deadlines: "2024年上半年" (June 30), "三季度" (quarter's
    # end), "年底"/"2024年" (December 31). Chinese numerals ("九月底") are digits by now: the loader
    # writes them so in Python (periods.numerals_as_digits): a numeral step in this macro made every
    # stage-2 query with a date column slower to plan, +13 % on a province's ingest.
    """CREATE OR REPLACE MACRO wh_date(n, year_hint) AS CASE
        WHEN wh_is_null_token(n) THEN NULL
        WHEN regexp_full_match(n, '\\d{5}(\\.\\d+)?')
             AND CAST(n AS DOUBLE) BETWEEN 20000 AND 60000
            THEN CAST(DATE '1899-12-30' + CAST(floor(CAST(n AS DOUBLE)) AS INTEGER) AS DATE)
        WHEN regexp_matches(n, '^\\d{4}\\s*[-/.年]\\s*\\d{1,2}\\s*[-/.月]\\s*\\d{1,2}')
            THEN try(make_date(
                CAST(regexp_extract(n, '^(\\d{4})', 1) AS INTEGER),
                CAST(regexp_extract(n, '^\\d{4}\\s*[-/.年]\\s*(\\d{1,2})', 1) AS INTEGER),
                CAST(regexp_extract(n, '^\\d{4}\\s*[-/.年]\\s*\\d{1,2}\\s*[-/.月]\\s*(\\d{1,2})', 1)
                    AS INTEGER)))
        WHEN regexp_full_match(n, '\\d{1,2}\\s*月\\s*\\d{1,2}\\s*[日号]?')
            THEN try(make_date(year_hint,
                CAST(regexp_extract(n, '^(\\d{1,2})', 1) AS INTEGER),
                CAST(regexp_extract(n, '月\\s*(\\d{1,2})', 1) AS INTEGER)))
        WHEN regexp_matches(n, '^(\\d{4}\\s*[年/.-])?\\s*\\d{1,2}\\s*月?(份)?(上旬|中旬|下旬|底|末|初|前|之前|$)')
            THEN try(CASE
                WHEN regexp_matches(n, '上旬|初') THEN wh_month_day(n, year_hint, 10)
                WHEN regexp_matches(n, '中旬') THEN wh_month_day(n, year_hint, 20)
                ELSE last_day(wh_month_day(n, year_hint, 1))
                END)
        WHEN regexp_full_match(n, '(\\d{4}\\s*年度?)?\\s*[上下]半年\\s*(底|末|前|之前)?')
            THEN make_date(wh_year_of(n, year_hint), CASE WHEN contains(n, '上') THEN 6 ELSE 12 END,
                           CASE WHEN contains(n, '上') THEN 30 ELSE 31 END)
        WHEN regexp_full_match(n, '(\\d{4}\\s*年度?)?\\s*第?\\s*[1-4]\\s*季度\\s*(底|末|前|之前)?')
            THEN last_day(make_date(wh_year_of(n, year_hint),
                3 * CAST(regexp_extract(n, '([1-4])\\s*季度', 1) AS INTEGER), 1))
        WHEN regexp_full_match(n, '(\\d{4}\\s*年度?\\s*(底|末|内|前|之前)?|年\\s*(底|末|内))')
            THEN make_date(wh_year_of(n, year_hint), 12, 31)
        END""",
    # A value as a person writes it, in a message: 1300.0000 → 1300, 12.5000 → 12.5, NULL → 空.
    """CREATE OR REPLACE MACRO wh_shown(x) AS CASE
        WHEN x IS NULL THEN '空'
        WHEN contains(CAST(x AS VARCHAR), '.') THEN rtrim(rtrim(CAST(x AS VARCHAR), '0'), '.')
        ELSE CAST(x AS VARCHAR) END""",
    "CREATE OR REPLACE MACRO wh_rank(n) AS "
    "CAST(nullif(regexp_extract(n, '^第?\\s*(\\d+)', 1), '') AS INTEGER)",
    "CREATE OR REPLACE MACRO wh_rank_of(n) AS "
    "CAST(nullif(regexp_extract(n, '[/共]\\s*(\\d+)', 1), '') AS INTEGER)",
]


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    # DuckDB plans every short IN list (wh_is_null_token, ~50 uses a sheet) as a join of its own;
    # on a ledger-sized sheet those joins cost ~1 s of thread scheduling, the comparisons ~nothing.
    con.execute(";\n".join(["SET disabled_optimizers = 'in_clause'", *MACROS]))


def parse_values(kind: str, values: list[str | None], **opts: object) -> list[object]:
    """Run one parser over a list of cells (for tests and `waterwh check`)."""
    if kind == "date":  # as the loader gives date cells to the macro
        from waterwh.ingest.periods import numerals_as_digits

        values = [numerals_as_digits(v) if v else v for v in values]
    con = connect()
    install_macros(con)
    con.execute("CREATE TABLE v (i INTEGER, s VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(values)))
    expr = {
        "norm": "wh_norm(s)",
        "number": "wh_number(wh_norm(s))",
        "qualifier": "wh_qualifier(wh_norm(s))",
        "wan": f"wh_to_wan(wh_norm(s), {float(opts.get('header_factor', 1.0))})",
        "pct": f"wh_pct(wh_norm(s), {bool(opts.get('header_is_pct', False))})",
        "date": f"wh_date(wh_norm(s), {int(opts.get('year_hint', 2025))})",  # numerals: see below
        "rank": "wh_rank(wh_norm(s))",
        "rank_of": "wh_rank_of(wh_norm(s))",
    }[kind]
    rows = con.execute(f"SELECT {expr} FROM v ORDER BY i").fetchall()
    con.close()
    return [r[0] for r in rows]
