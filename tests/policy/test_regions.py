from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.policy.regions import (
    BUILTIN_REGIONS,
    NATIONAL,
    PROVINCE_CODES,
    Level,
    Region,
    covers,
    is_region_code,
    level_of,
    lineage,
    parent_of,
    parse_gbt2260,
)

BUILTIN_CODES = {region.code for region in BUILTIN_REGIONS}
BUILTIN_NAMES = {region.code: region.name for region in BUILTIN_REGIONS}

# A narrow alphabet makes random codes share prefixes often enough to matter.
related_codes = st.text(alphabet="0012", min_size=6, max_size=6)
any_codes = st.text(alphabet="0123456789", min_size=6, max_size=6)


def test_builtin_codes_are_well_formed() -> None:
    assert all(is_region_code(region.code) for region in BUILTIN_REGIONS)


def test_builtin_codes_are_unique() -> None:
    assert len(BUILTIN_CODES) == len(BUILTIN_REGIONS)


def test_builtin_names_are_present() -> None:
    assert all(region.name.strip() == region.name != "" for region in BUILTIN_REGIONS)


def test_exactly_34_provinces() -> None:
    assert len(PROVINCE_CODES) == 34
    assert {region.code for region in BUILTIN_REGIONS if region.level is Level.province} == PROVINCE_CODES


def test_national_code_is_not_builtin() -> None:
    assert NATIONAL not in BUILTIN_CODES


@pytest.mark.parametrize("region", [r for r in BUILTIN_REGIONS if r.level is not Level.province])
def test_builtin_parent_chain_is_builtin(region: Region) -> None:
    for code in lineage(region.code)[1:]:
        assert code in BUILTIN_CODES


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("110000", "北京市"),
        ("130000", "河北省"),
        ("150000", "内蒙古自治区"),
        ("450000", "广西壮族自治区"),
        ("540000", "西藏自治区"),
        ("640000", "宁夏回族自治区"),
        ("650000", "新疆维吾尔自治区"),
        ("710000", "台湾省"),
        ("810000", "香港特别行政区"),
        ("820000", "澳门特别行政区"),
        ("110100", "北京市市辖区"),
        ("110101", "东城区"),
        ("110119", "延庆区"),
        ("130700", "张家口市"),
        ("130708", "万全区"),
        ("130709", "崇礼区"),
        ("510700", "绵阳市"),
        ("510705", "安州区"),
        ("510726", "北川羌族自治县"),
        ("510781", "江油市"),
    ],
)
def test_builtin_names(code: str, name: str) -> None:
    assert BUILTIN_NAMES[code] == name


@pytest.mark.parametrize(("city", "count"), [("1101", 16), ("1307", 16), ("5107", 9)])
def test_builtin_cities_list_all_their_districts(city: str, count: int) -> None:
    districts = [r for r in BUILTIN_REGIONS if r.level is Level.district and r.code.startswith(city)]
    assert len(districts) == count


@pytest.mark.parametrize("code", ["000000", "110101", "999999"])
def test_is_region_code_accepts_six_digits(code: str) -> None:
    assert is_region_code(code)


@pytest.mark.parametrize("code", ["", "11010", "1101011", "11010a", " 11010", "１１０１０１", "11010²"])
def test_is_region_code_rejects_others(code: str) -> None:
    assert not is_region_code(code)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("000000", Level.national),
        ("110000", Level.province),
        ("110100", Level.city),
        ("130700", Level.city),
        ("110101", Level.district),
        ("510781", Level.district),
    ],
)
def test_level_of(code: str, level: Level) -> None:
    assert level_of(code) is level


def test_level_values_are_words() -> None:
    assert [str(level) for level in Level] == [
        "national",
        "province",
        "city",
        "district",
    ]


@pytest.mark.parametrize("code", ["", "11010", "abcdef", "1101011"])
def test_level_of_rejects_malformed_code(code: str) -> None:
    with pytest.raises(ValueError, match="six-digit"):
        level_of(code)


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("000000", None),
        ("110000", NATIONAL),
        ("110100", "110000"),
        ("130700", "130000"),
        ("110101", "110100"),
        ("130709", "130700"),
        ("510781", "510700"),
    ],
)
def test_parent_of(code: str, parent: str | None) -> None:
    assert parent_of(code) == parent


def test_region_exposes_level_and_parent() -> None:
    region = Region("510781", "江油市")
    assert region.level is Level.district
    assert region.parent_code == "510700"


def test_region_rejects_malformed_code_or_empty_name() -> None:
    with pytest.raises(ValueError):
        Region("51078", "江油市")
    with pytest.raises(ValueError):
        Region("510781", "")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("000000", ("000000",)),
        ("110000", ("000000", "110000")),
        ("130700", ("000000", "130000", "130700")),
        ("110101", ("000000", "110000", "110100", "110101")),
    ],
)
def test_lineage(code: str, expected: tuple[str, ...]) -> None:
    assert lineage(code) == expected


@pytest.mark.parametrize(
    ("scope", "code"),
    [
        ("000000", "110101"),
        ("000000", "000000"),
        ("110000", "110000"),
        ("110000", "110100"),
        ("110000", "110119"),
        ("130700", "130700"),
        ("130700", "130709"),
        ("510781", "510781"),
    ],
)
def test_covers(scope: str, code: str) -> None:
    assert covers(scope, code)


@pytest.mark.parametrize(
    ("scope", "code"),
    [
        ("110000", "000000"),
        ("110000", "130700"),
        ("110100", "110000"),
        ("130700", "130000"),
        ("130700", "510703"),
        ("130700", "130800"),
        ("510781", "510700"),
        ("510781", "510703"),
    ],
)
def test_does_not_cover(scope: str, code: str) -> None:
    assert not covers(scope, code)


def test_covers_rejects_malformed_codes() -> None:
    with pytest.raises(ValueError):
        covers("11000", "110101")
    with pytest.raises(ValueError):
        covers("000000", "11010")


@given(st.one_of(related_codes, any_codes))
def test_lineage_runs_from_nation_to_code(code: str) -> None:
    chain = lineage(code)
    assert chain[0] == NATIONAL
    assert chain[-1] == code
    assert len(set(chain)) == len(chain)
    for parent, child in pairwise(chain):
        assert parent_of(child) == parent


@given(st.one_of(related_codes, any_codes))
def test_lineage_codes_are_well_formed(code: str) -> None:
    assert all(is_region_code(ancestor) for ancestor in lineage(code))


@given(related_codes, related_codes)
def test_covers_iff_scope_is_in_lineage(scope: str, code: str) -> None:
    assert covers(scope, code) == (scope in lineage(code))


@given(st.one_of(related_codes, any_codes))
def test_national_scope_covers_everything(code: str) -> None:
    assert covers(NATIONAL, code)


@given(st.one_of(related_codes, any_codes))
def test_every_code_covers_itself(code: str) -> None:
    assert covers(code, code)


@given(related_codes, related_codes, related_codes)
def test_covers_is_transitive(a: str, b: str, c: str) -> None:
    if covers(a, b) and covers(b, c):
        assert covers(a, c)


@pytest.mark.parametrize(
    "line",
    [
        "110101\t东城区",
        "110101,东城区",
        "110101 东城区",
        "110101   东城区",
        "110101 , 东城区",
        '"110101","东城区"',
    ],
)
def test_parse_gbt2260_formats(line: str) -> None:
    assert parse_gbt2260([line]) == [Region("110101", "东城区")]


def test_parse_gbt2260_keeps_input_order_and_drops_line_endings() -> None:
    lines = ["130709\t崇礼区\r\n", "110000\t北京市\n", "130700\t张家口市\n"]
    assert [region.code for region in parse_gbt2260(lines)] == [
        "130709",
        "110000",
        "130700",
    ]
    assert parse_gbt2260(lines)[0].name == "崇礼区"


def test_parse_gbt2260_skips_blank_lines_comments_and_header() -> None:
    lines = [
        "# GB/T 2260 extract",
        "",
        "code,name",
        "   ",
        "110000,北京市",
        "# Beijing districts follow",
        "110101,东城区",
    ]
    assert parse_gbt2260(lines) == [
        Region("110000", "北京市"),
        Region("110101", "东城区"),
    ]


def test_parse_gbt2260_skips_a_chinese_header() -> None:
    assert parse_gbt2260(["行政区划代码\t名称", "110000\t北京市"]) == [Region("110000", "北京市")]


def test_parse_gbt2260_strips_byte_order_mark() -> None:
    assert parse_gbt2260(["\ufeff110000,北京市"]) == [Region("110000", "北京市")]
    assert parse_gbt2260(["\ufeffcode,name", "110000,北京市"]) == [Region("110000", "北京市")]


def test_parse_gbt2260_accepts_an_empty_input() -> None:
    assert parse_gbt2260([]) == []
    assert parse_gbt2260(["code,name", "# nothing yet"]) == []


def test_parse_gbt2260_reads_a_generator() -> None:
    text = "110000\t北京市\n110100\t北京市市辖区\n"
    assert len(parse_gbt2260(line for line in text.splitlines())) == 2


def test_parse_gbt2260_round_trips_the_builtin_table() -> None:
    lines = [f"{region.code}\t{region.name}" for region in BUILTIN_REGIONS]
    assert tuple(parse_gbt2260(lines)) == BUILTIN_REGIONS


def test_parse_gbt2260_tolerates_a_repeated_identical_line() -> None:
    assert parse_gbt2260(["110000,北京市", "110000,北京市"]) == [Region("110000", "北京市")]


@pytest.mark.parametrize(
    ("lines", "line_number"),
    [
        (["110000,北京市", "110101"], 2),
        (["110101,"], 1),
        (["code,name", "110101\t"], 2),
        (["# comment", "", "110101 ,"], 3),
    ],
)
def test_parse_gbt2260_rejects_a_code_without_a_name(lines: list[str], line_number: int) -> None:
    with pytest.raises(ValueError, match=rf"line {line_number}: code 110101 has no name"):
        parse_gbt2260(lines)


def test_parse_gbt2260_rejects_a_duplicate_code_with_another_name() -> None:
    lines = ["110000,北京市", "110101,东城区", "110101,西城区"]
    with pytest.raises(ValueError, match="line 3: code 110101"):
        parse_gbt2260(lines)


@pytest.mark.parametrize("bad", ["11010,东城区", "1101011,东城区", "abcdef,东城区"])
def test_parse_gbt2260_rejects_a_malformed_code_after_the_first_line(bad: str) -> None:
    with pytest.raises(ValueError, match="line 2:"):
        parse_gbt2260(["110000,北京市", bad])
