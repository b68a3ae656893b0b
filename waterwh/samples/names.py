"""Names that fill the ledgers: people, rivers, reservoirs, document numbers, and seeded RNGs."""

from __future__ import annotations

import random

from waterwh.samples.geography import County

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
_GIVEN = "建国志强伟华明军红英平秀兰桂芳丽娟敏静海涛斌波宏伟文杰晓东永刚春梅玉霞德顺金生新民"


def rng_for(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible stream per (seed, purpose…): str seeds hash stably."""
    return random.Random("/".join([str(seed), *map(str, parts)]))


def person(rng: random.Random) -> str:
    given = rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(_SURNAMES) + given


def river_of(stem: str) -> str:
    """A town's river: 龙潭 → 龙潭河; 清河 stays 清河; 柳林 → 柳林溪 (every third kind)."""
    if stem[-1] in "河溪江":
        return stem
    return stem + ("溪" if stem[-1] in "林山岭峰" else "河")


def county_rivers(county: County) -> list[str]:
    """Main river first (named after the county), then one per town."""
    main = county.short + ("江" if county.short[-1] == "溪" else "河")
    if county.short == "青溪":
        main = "青溪河"
    rivers = [main]
    for t in county.towns:
        r = river_of(t.short)
        if r not in rivers:
            rivers.append(r)
    return rivers


def reservoirs(county: County) -> list[str]:
    return [t.short + "水库" for t in county.towns[1:]]


def doc_no(rng: random.Random, issuer: str, year: int) -> str:
    """A funding document number, with the bracket styles clerks actually type."""
    left, right = rng.choice([("〔", "〕"), ("[", "]"), ("(", ")"), ("〔", "〕")])
    return f"{issuer}{left}{year}{right}{rng.randint(3, 188)}号"
