"""Administrative divisions of China, identified by GB/T 2260 six-digit codes.

The first two digits name the province, the first four the city, all six the
district; trailing zeros mark a division above district level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

NATIONAL = "000000"


class Level(StrEnum):
    """How high a division sits in the national hierarchy."""

    national = "national"
    province = "province"
    city = "city"
    district = "district"


def is_region_code(code: str) -> bool:
    """Tell whether a string is exactly six ASCII digits."""
    # str.isdigit alone also accepts non-ASCII digits such as "١" or "²".
    return len(code) == 6 and code.isascii() and code.isdigit()


def _require_region_code(code: str) -> None:
    if not is_region_code(code):
        raise ValueError(f"not a six-digit region code: {code!r}")


def level_of(code: str) -> Level:
    """Return the level a region code names, from its trailing zeros."""
    _require_region_code(code)
    if code == NATIONAL:
        return Level.national
    if code.endswith("0000"):
        return Level.province
    if code.endswith("00"):
        return Level.city
    return Level.district


def _province_part(code: str) -> str:
    return code[:2] + "0000"


def _city_part(code: str) -> str:
    return code[:4] + "00"


def parent_of(code: str) -> str | None:
    """Return the code of the division directly above, or None for the nation."""
    level = level_of(code)
    if level is Level.national:
        return None
    if level is Level.province:
        return NATIONAL
    if level is Level.city:
        return _province_part(code)
    return _city_part(code)


def lineage(code: str) -> tuple[str, ...]:
    """Return the codes from the nation down to this region, inclusive."""
    chain = [code]
    parent = parent_of(code)
    while parent is not None:
        chain.append(parent)
        parent = parent_of(parent)
    return tuple(reversed(chain))


def covers(scope: str, code: str) -> bool:
    """Tell whether a staff member's regional scope includes a region."""
    _require_region_code(code)
    level = level_of(scope)
    if level is Level.national:
        return True
    if level is Level.province:
        return scope[:2] == code[:2]
    if level is Level.city:
        return scope[:4] == code[:4]
    return scope == code


def scope_prefix(scope: str) -> str:
    """The code prefix every region under a scope shares ("" for the nation)."""
    level = level_of(scope)
    if level is Level.national:
        return ""
    if level is Level.province:
        return scope[:2]
    if level is Level.city:
        return scope[:4]
    return scope


@dataclass(frozen=True, slots=True)
class Region:
    """A named administrative division."""

    code: str
    name: str

    def __post_init__(self) -> None:
        _require_region_code(self.code)
        if not self.name:
            raise ValueError(f"region {self.code} needs a name")

    @property
    def level(self) -> Level:
        """The level this region sits at."""
        return level_of(self.code)

    @property
    def parent_code(self) -> str | None:
        """The code of the division directly above, or None for the nation."""
        return parent_of(self.code)


_PROVINCES: tuple[tuple[str, str], ...] = (
    ("110000", "北京市"),
    ("120000", "天津市"),
    ("130000", "河北省"),
    ("140000", "山西省"),
    ("150000", "内蒙古自治区"),
    ("210000", "辽宁省"),
    ("220000", "吉林省"),
    ("230000", "黑龙江省"),
    ("310000", "上海市"),
    ("320000", "江苏省"),
    ("330000", "浙江省"),
    ("340000", "安徽省"),
    ("350000", "福建省"),
    ("360000", "江西省"),
    ("370000", "山东省"),
    ("410000", "河南省"),
    ("420000", "湖北省"),
    ("430000", "湖南省"),
    ("440000", "广东省"),
    ("450000", "广西壮族自治区"),
    ("460000", "海南省"),
    ("500000", "重庆市"),
    ("510000", "四川省"),
    ("520000", "贵州省"),
    ("530000", "云南省"),
    ("540000", "西藏自治区"),
    ("610000", "陕西省"),
    ("620000", "甘肃省"),
    ("630000", "青海省"),
    ("640000", "宁夏回族自治区"),
    ("650000", "新疆维吾尔自治区"),
    ("710000", "台湾省"),
    ("810000", "香港特别行政区"),
    ("820000", "澳门特别行政区"),
)

_BEIJING: tuple[tuple[str, str], ...] = (
    # The standard names this level "市辖区"; the city prefix keeps it readable
    # wherever it is shown without its parent.
    ("110100", "北京市市辖区"),
    ("110101", "东城区"),
    ("110102", "西城区"),
    ("110105", "朝阳区"),
    ("110106", "丰台区"),
    ("110107", "石景山区"),
    ("110108", "海淀区"),
    ("110109", "门头沟区"),
    ("110111", "房山区"),
    ("110112", "通州区"),
    ("110113", "顺义区"),
    ("110114", "昌平区"),
    ("110115", "大兴区"),
    ("110116", "怀柔区"),
    ("110117", "平谷区"),
    ("110118", "密云区"),
    ("110119", "延庆区"),
)

_ZHANGJIAKOU: tuple[tuple[str, str], ...] = (
    ("130700", "张家口市"),
    ("130702", "桥东区"),
    ("130703", "桥西区"),
    ("130705", "宣化区"),
    ("130706", "下花园区"),
    ("130708", "万全区"),
    ("130709", "崇礼区"),
    ("130722", "张北县"),
    ("130723", "康保县"),
    ("130724", "沽源县"),
    ("130725", "尚义县"),
    ("130726", "蔚县"),
    ("130727", "阳原县"),
    ("130728", "怀安县"),
    ("130730", "怀来县"),
    ("130731", "涿鹿县"),
    ("130732", "赤城县"),
)

_MIANYANG: tuple[tuple[str, str], ...] = (
    ("510700", "绵阳市"),
    ("510703", "涪城区"),
    ("510704", "游仙区"),
    ("510705", "安州区"),
    ("510722", "三台县"),
    ("510723", "盐亭县"),
    ("510725", "梓潼县"),
    ("510726", "北川羌族自治县"),
    ("510727", "平武县"),
    ("510781", "江油市"),
)

BUILTIN_REGIONS: tuple[Region, ...] = tuple(
    Region(code, name) for code, name in (*_PROVINCES, *_BEIJING, *_ZHANGJIAKOU, *_MIANYANG)
)

PROVINCE_CODES: frozenset[str] = frozenset(region.code for region in BUILTIN_REGIONS if region.level is Level.province)


# Published tables separate code and name by a tab, a comma or plain spaces.
_FIELD_SEPARATOR = re.compile(r"\s*[\t,]\s*|\s+")
_BYTE_ORDER_MARK = "\ufeff"


def _fields(line: str) -> list[str]:
    return [field.strip('"') for field in _FIELD_SEPARATOR.split(line)]


def _is_skippable(line: str) -> bool:
    return not line or line.startswith("#")


def parse_gbt2260(lines: Iterable[str]) -> list[Region]:
    """Read a GB/T 2260 table, one "code name" division a line, in input order."""
    names_by_code: dict[str, str] = {}
    regions: list[Region] = []
    seen_content = False
    for number, raw in enumerate(lines, start=1):
        line = raw.lstrip(_BYTE_ORDER_MARK).strip()
        if _is_skippable(line):
            continue
        fields = _fields(line)
        code = fields[0]
        is_header = not seen_content and not is_region_code(code)
        seen_content = True
        if is_header:
            continue
        region = _region_from_fields(fields, number)
        known_name = names_by_code.get(region.code)
        if known_name is None:
            names_by_code[region.code] = region.name
            regions.append(region)
        elif known_name != region.name:
            raise ValueError(f"line {number}: code {region.code} is already named {known_name!r}, not {region.name!r}")
    return regions


def _region_from_fields(fields: list[str], number: int) -> Region:
    code = fields[0]
    if not is_region_code(code):
        raise ValueError(f"line {number}: {code!r} is not a six-digit region code")
    name = fields[1] if len(fields) > 1 else ""
    if not name:
        raise ValueError(f"line {number}: code {code} has no name")
    return Region(code, name)
