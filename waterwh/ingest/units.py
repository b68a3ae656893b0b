"""Units, once: every unit waterwh reads, converts or strips, in Python and SQL side by side.

Amounts are kept in 万元 (MONEY_TO_WAN); a quantity a spec keeps in one unit (km, 分钟) is converted
from the spellings its header may state (QUANTITY_UNITS). The other lists say where a unit may be
written and so what it is there: in a header's brackets, at the end of a cell, in a wide sheet's
indicator header. The dbt project's form is generated from here (`to_wan_factor` in
dbt_project/macros/units.sql, by waterwh/dbt_files.py), and a test keeps the two equal.
"""

from __future__ import annotations

# 1 亿元 = 10,000 万元; 1 万元 = 10,000 元. Amounts are stored in 万元.
MONEY_TO_WAN: dict[str, float] = {"元": 0.0001, "万元": 1.0, "亿元": 10000.0}
MONEY = ("亿元", "万元", "元")  # longest first, for regular expressions

# The units a quantity (not money: see cells.py) is kept in, after NFKC, each with the spellings a
# header may state and what one of that unit is in the kept one: "里程（m）" is km × 0.001.
QUANTITY_UNITS: dict[str, dict[str, float]] = {
    "km": {"km": 1.0, "公里": 1.0, "千米": 1.0, "m": 0.001, "米": 0.001},
    "分钟": {"分钟": 1.0, "min": 1.0, "小时": 60.0, "h": 60.0},
}

# A header's unit (headers.py): in brackets ("完成投资（万元）"), after 单位:, or money/% at its end.
HEADER_BRACKETED = (*MONEY, "万m3", "m3", "万t/d", "t/d", "km", "公里", "亩", "%", "个", "处", "次", "件", "名",
                    "项", "人次", "mg/L", "mg/l")
HEADER_TRAILING = ("%", "万元", "亿元")

# Stripped from a header before it is matched against a spec's aliases (spec.normalise_header):
# bracketed or bare at its end; the second list only in brackets ("巡查距离（千米）", "历时（min）"),
# since bare they would be words.
ALIAS_STRIPPED = ("万元", "亿元", "元", "%", "万m3", "m3", "km", "公里", "个", "处", "次", "件")
ALIAS_STRIPPED_BRACKETED = ("千米", "米", "m", "分钟", "min", "小时", "h", "人", "人次", "名", "项", "起", "万方",
                            "万立方米", "mg/L", "mg/l", "亩", "公顷")

# A number's unit at the end of its cell ("2.8万t/d", "6636万m³", "68.05%", "2万余次"): read and
# removed by the cell parsers (sql_parsers.py). A bare 万/亿 is a multiplier; counted things are
# what a 万 may multiply ("2万余次").
CELL_UNITS = ("亿元", "万元", "欧元", "美元", "元", "万m3", "万m³", "m3/万元", "m³/万元", "m3", "m³", "万t/d", "t/d",
              "km", "公里", "亩", "%", "分", "个", "处", "次", "件", "名", "座", "条", "户", "人", "项", "万", "亿")
COUNT_WORDS = ("次", "个", "件", "处", "人", "户", "名", "座", "条", "项")

# A wide sheet's indicator header: which bracketed words are units (wide.py). Units written in
# Chinese only, and units of letters alone (after an optional 万/亿/千/百); any with /, %, ‰ or a
# degree sign is one anyway. Anything else in brackets is part of the name: 化学需氧量（COD）.
WIDE_CJK_UNITS = frozenset({"万元", "亿元", "元", "万人", "人", "个", "处", "次", "名", "分", "亩", "万亩", "公里",
                            "千米", "吨", "万吨", "度", "无量纲"})
WIDE_LETTER_UNITS = frozenset({"m", "km", "m3", "m³", "km2", "km²", "k㎡", "kg", "t", "mg", "g", "L", "h", "min",
                               "NTU", "kWh", "hm3"})


def alternatives(units: tuple[str, ...]) -> str:
    """A regular expression's alternatives for `units`, as written (they hold no special characters
    but /, ³ and %, which are plain in Python's and DuckDB's expressions alike)."""
    return "|".join(units)
