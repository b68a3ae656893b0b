"""The fictional geography of the samples: 江南省 → cities → counties → towns.

The fixed part (江南省, 云溪市, 青溪县 and its eight towns) is the one a dbt seed elsewhere uses.
For the larger scales the other names are generated from syllable lists by a fixed arithmetic
permutation: they depend on nothing but the scale, never on the seed, so the seed of the
geography dimension can be produced once (`area_rows`).

Codes: province 990000, city 99CC00, county 99CCNN (NN = 21..28, 青溪县 = 990123),
town = county code + 3 digits (990123001 …).
"""

from __future__ import annotations

from dataclasses import dataclass

PROVINCE_CODE = "990000"
PROVINCE_NAME = "江南省"
YUNXI_CODE = "990100"
YUNXI_NAME = "云溪市"
QINGXI_CODE = "990123"
QINGXI_NAME = "青溪县"
QINGXI_TOWNS: tuple[tuple[str, str], ...] = (
    ("990123001", "城关镇"),
    ("990123002", "青石镇"),
    ("990123003", "龙潭镇"),
    ("990123004", "白沙乡"),
    ("990123005", "清河镇"),
    ("990123006", "柳林乡"),
    ("990123007", "桃源镇"),
    ("990123008", "石门乡"),
)
SCALES = ("small", "county", "province")
CITIES_AT_PROVINCE_SCALE = 16
COUNTIES_PER_CITY = 8

# Syllables for generated names. No administrative suffix characters (省市县区州镇乡) and no
# 河/湖, so that a name never ends early when a parser looks for "…县" or "…河".
_FIRST = "云江临安平嘉永明丰泰新桂松柏枫梧金玉宝碧翠银兰茂广福瑞德仁长东南西北兴华清凤龙鹤"
_SECOND = "溪川阳源宁山泉林岭峰城台谷浦塘桥岗坪田洲江沙石门口庄店集埠潭渡湾"
_RESERVED_STEMS = {"青溪", "云溪", "城关", "青石", "龙潭", "白沙", "清河", "柳林", "桃源", "石门"}


@dataclass(frozen=True)
class Town:
    code: str
    name: str

    @property
    def short(self) -> str:
        """Name without its 镇/乡 suffix, as used inside project names: 龙潭镇 → 龙潭."""
        return self.name[:-1] if self.name[-1] in "镇乡" else self.name


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str
    city_name: str
    towns: tuple[Town, ...]
    index: int  # position in the province, 0 = 青溪县

    @property
    def short(self) -> str:
        return self.name[:-1]

    @property
    def seat(self) -> Town:
        """The county seat: the first town; county-wide projects are located there."""
        return self.towns[0]


@dataclass(frozen=True)
class City:
    code: str
    name: str
    counties: tuple[County, ...]


@dataclass(frozen=True)
class Geography:
    scale: str
    cities: tuple[City, ...]

    @property
    def counties(self) -> tuple[County, ...]:
        return tuple(c for city in self.cities for c in city.counties)


def _stems() -> list[str]:
    """All two-syllable stems in a fixed scrambled order (a multiplicative permutation)."""
    combos = [a + b for a in _FIRST for b in _SECOND if a != b]
    combos = [s for s in combos if s not in _RESERVED_STEMS]
    n = len(combos)
    step = 7919  # prime, coprime with n
    while n % step == 0:
        step += 2
    return [combos[(i * step + 11) % n] for i in range(n)]


class _StemPool:
    def __init__(self) -> None:
        self._stems = _stems()
        self._next = 0

    def take(self) -> str:
        stem = self._stems[self._next]
        self._next += 1
        return stem


def _qingxi(city_code: str, city_name: str) -> County:
    towns = tuple(Town(code, name) for code, name in QINGXI_TOWNS)
    return County(QINGXI_CODE, QINGXI_NAME, city_code, city_name, towns, 0)


def _generated_county(
    pool: _StemPool, city_code: str, city_name: str, nn: int, index: int
) -> County:
    code = f"{city_code[:4]}{nn:02d}"
    name = pool.take() + "县"
    n_towns = 6 + (index * 5 + 1) % 3  # 6, 7 or 8
    towns = []
    for t in range(n_towns):
        suffix = "乡" if t % 3 == 2 else "镇"
        towns.append(Town(f"{code}{t + 1:03d}", pool.take() + suffix))
    return County(code, name, city_code, city_name, tuple(towns), index)


def build_geography(scale: str) -> Geography:
    """The areas a scale covers. small: 青溪县 only; county: 云溪市's 8 counties; province: 16×8."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    pool = _StemPool()
    if scale == "small":
        return Geography(scale, (City(YUNXI_CODE, YUNXI_NAME, (_qingxi(YUNXI_CODE, YUNXI_NAME),)),))
    n_cities = 1 if scale == "county" else CITIES_AT_PROVINCE_SCALE
    cities: list[City] = []
    index = 0
    for ci in range(n_cities):
        if ci == 0:
            city_code, city_name = YUNXI_CODE, YUNXI_NAME
        else:
            city_code, city_name = f"99{ci + 1:02d}00", pool.take() + "市"
        counties: list[County] = []
        for k in range(COUNTIES_PER_CITY):
            nn = 21 + k
            if ci == 0 and nn == 23:
                counties.append(_qingxi(city_code, city_name))
                continue
            index += 1
            counties.append(_generated_county(pool, city_code, city_name, nn, index))
        # 青溪县 first: it is the county the small scale and the examples are about.
        counties.sort(key=lambda c: (c.code != QINGXI_CODE, c.code))
        cities.append(City(city_code, city_name, tuple(counties)))
    return Geography(scale, tuple(cities))


def area_rows(scale: str = "province") -> list[dict[str, str]]:
    """Rows for a geography seed: area_code, area_name, level, parent_code."""
    geo = build_geography(scale)
    rows = [
        {
            "area_code": PROVINCE_CODE,
            "area_name": PROVINCE_NAME,
            "level": "province",
            "parent_code": "",
        }
    ]
    for city in geo.cities:
        rows.append(
            {
                "area_code": city.code,
                "area_name": city.name,
                "level": "prefecture",
                "parent_code": PROVINCE_CODE,
            }
        )
        for county in city.counties:
            rows.append(
                {
                    "area_code": county.code,
                    "area_name": county.name,
                    "level": "county",
                    "parent_code": city.code,
                }
            )
            for town in county.towns:
                rows.append(
                    {
                        "area_code": town.code,
                        "area_name": town.name,
                        "level": "township",
                        "parent_code": county.code,
                    }
                )
    return rows
