"""Region policy: defaults, validation, patches and field-by-field inheritance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.policy.rules import (
    FEE_REASONS,
    FIELDS,
    INT_BOUNDS,
    NATIONAL_DEFAULTS,
    PolicyError,
    apply_patch,
    flatten,
    nest,
    resolve,
    validate,
)

NATIONAL, SICHUAN, MIANYANG, FUCHENG = "000000", "510000", "510700", "510703"
INT_FIELDS = list(INT_BOUNDS)


def test_every_field_has_a_national_default() -> None:
    assert set(NATIONAL_DEFAULTS) == set(FIELDS)
    assert {f"fees.{reason}" for reason in FEE_REASONS} <= set(FIELDS)


@pytest.mark.parametrize("field", FIELDS)
def test_national_defaults_pass_their_own_validation(field: str) -> None:
    assert validate(field, NATIONAL_DEFAULTS[field]) == NATIONAL_DEFAULTS[field]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hotline", "12333"),  # DOMAIN Actors: 12333 nationally
        ("lift_after_days", 0),  # R-LOSS-5 default 0
        ("provisional_valid_days", 15),  # R-LOSS-5 default 15
        ("pin_max_tries", 3),  # R-CARD-3 default 3
        ("fees.expired", 0),  # R-REP-2 default 0 for expired
        ("temp_certificate_valid_days", 60),  # R-REP-4 default 60
    ],
)
def test_domain_defaults(field: str, value: object) -> None:
    """The defaults DOMAIN.md names (R-LOSS-5, R-CARD-3, R-REP-2, R-REP-4)."""
    policy = resolve([(NATIONAL, {})])
    assert policy.values[field] == value
    assert policy.sources[field] == NATIONAL


def test_national_only_is_all_defaults() -> None:
    policy = resolve([(NATIONAL, {})])
    assert policy.region == NATIONAL
    assert dict(policy.values) == dict(NATIONAL_DEFAULTS)
    assert dict(policy.sources) == dict.fromkeys(FIELDS, NATIONAL)


def test_resolve_inherits_field_by_field() -> None:
    """A district inherits its city, a city its province, a province the nation."""
    lineage: list[tuple[str, dict[str, Any]]] = [
        (NATIONAL, {}),
        (SICHUAN, {"pin_max_tries": 5, "hotline": "96102", "production_working_days": 30}),
        (MIANYANG, {"production_working_days": 20, "fees.lost": 1_000}),
        (FUCHENG, {"production_working_days": 0}),
    ]
    district = resolve(lineage)
    assert district.region == FUCHENG
    assert district.production_working_days == 0
    assert district.sources["production_working_days"] == FUCHENG
    assert district.pin_max_tries == 5
    assert district.sources["pin_max_tries"] == SICHUAN
    assert district.hotline == "96102"
    assert district.sources["hotline"] == SICHUAN
    assert district.fee("lost") == 1_000
    assert district.sources["fees.lost"] == MIANYANG
    assert district.provisional_valid_days == 15
    assert district.sources["provisional_valid_days"] == NATIONAL

    city = resolve(lineage[:3])
    assert city.region == MIANYANG
    assert city.production_working_days == 20
    assert city.sources["production_working_days"] == MIANYANG
    assert city.pin_max_tries == 5

    province = resolve(lineage[:2])
    assert province.production_working_days == 30
    assert province.fee("lost") == NATIONAL_DEFAULTS["fees.lost"]
    assert province.sources["fees.lost"] == NATIONAL


def test_a_district_without_overrides_is_its_city() -> None:
    lineage: list[tuple[str, dict[str, Any]]] = [
        (NATIONAL, {}),
        (SICHUAN, {"lift_after_days": 1}),
        (MIANYANG, {"provisional_valid_days": 7}),
    ]
    city = resolve(lineage)
    district = resolve([*lineage, (FUCHENG, {})])
    assert district.region == FUCHENG
    assert dict(district.values) == dict(city.values)
    assert dict(district.sources) == dict(city.sources)


def test_r_rep_2_fees_inherit_per_reason() -> None:
    """R-REP-2: each reason's fee comes from the deepest region that sets that reason."""
    policy = resolve(
        [
            (NATIONAL, {}),
            (SICHUAN, {"fees.lost": 500, "fees.damaged": 700}),
            (MIANYANG, {"fees.damaged": 900}),
            (FUCHENG, {"fees.stolen": 300}),
        ]
    )
    assert {reason: policy.fee(reason) for reason in FEE_REASONS} == {
        "lost": 500,
        "stolen": 300,
        "damaged": 900,
        "demagnetized": NATIONAL_DEFAULTS["fees.demagnetized"],
        "expired": NATIONAL_DEFAULTS["fees.expired"],
    }
    assert [policy.sources[f"fees.{reason}"] for reason in FEE_REASONS] == [
        SICHUAN,
        FUCHENG,
        MIANYANG,
        NATIONAL,
        NATIONAL,
    ]


def test_resolve_skips_none_and_unknown_fields() -> None:
    policy = resolve([(NATIONAL, {}), (SICHUAN, {"pin_max_tries": None, "colour": "red"})])
    assert policy.pin_max_tries == NATIONAL_DEFAULTS["pin_max_tries"]
    assert policy.sources["pin_max_tries"] == NATIONAL
    assert "colour" not in policy.values
    with pytest.raises(AttributeError):
        _ = policy.colour


def test_a_national_override_replaces_the_default() -> None:
    policy = resolve([(NATIONAL, {"pin_max_tries": 4}), (SICHUAN, {})])
    assert policy.pin_max_tries == 4
    assert policy.sources["pin_max_tries"] == NATIONAL


def test_apply_patch_sets_validates_and_clears() -> None:
    current = {"pin_max_tries": 5, "fees.lost": 1_000, "hotline": "96102"}
    merged = apply_patch(current, {"pin_max_tries": 4, "fees.lost": None, "lift_after_days": 1})
    assert merged == {"pin_max_tries": 4, "hotline": "96102", "lift_after_days": 1}
    assert current == {"pin_max_tries": 5, "fees.lost": 1_000, "hotline": "96102"}, "current must not change"


def test_apply_patch_clearing_an_unset_field_is_harmless() -> None:
    assert apply_patch({"pin_max_tries": 5}, {"lift_after_days": None}) == {"pin_max_tries": 5}


def test_apply_patch_refuses_an_invalid_value_naming_the_field() -> None:
    with pytest.raises(PolicyError) as caught:
        apply_patch({}, {"pin_max_tries": 0})
    assert caught.value.field == "pin_max_tries"
    assert "pin_max_tries" in str(caught.value)


def test_apply_patch_refuses_an_unknown_field() -> None:
    with pytest.raises(PolicyError) as caught:
        apply_patch({}, {"colour": 1})
    assert caught.value.field == "colour"


def test_a_cleared_field_inherits_again() -> None:
    overrides = apply_patch({"pin_max_tries": 5}, {"pin_max_tries": None})
    policy = resolve([(NATIONAL, {}), (SICHUAN, {"pin_max_tries": 4}), (MIANYANG, overrides)])
    assert policy.pin_max_tries == 4
    assert policy.sources["pin_max_tries"] == SICHUAN


@pytest.mark.parametrize("field", INT_FIELDS)
def test_int_bounds_are_inclusive(field: str) -> None:
    low, high = INT_BOUNDS[field]
    assert validate(field, low) == low
    assert validate(field, high) == high


@pytest.mark.parametrize("field", INT_FIELDS)
@pytest.mark.parametrize("offset", [-1, +1])
def test_int_values_outside_the_bounds_are_refused(field: str, offset: int) -> None:
    low, high = INT_BOUNDS[field]
    value = low - 1 if offset < 0 else high + 1
    with pytest.raises(PolicyError) as caught:
        validate(field, value)
    assert caught.value.field == field


@pytest.mark.parametrize("field", INT_FIELDS)
@pytest.mark.parametrize(
    "make_value",
    [
        pytest.param(lambda _low: True, id="true"),
        pytest.param(lambda _low: False, id="false"),
        pytest.param(float, id="float"),
        pytest.param(str, id="str"),
        pytest.param(lambda _low: None, id="none"),
    ],
)
def test_int_fields_refuse_other_types(field: str, make_value: Callable[[int], object]) -> None:
    """A bool, float or string is refused even where its value would be in range."""
    low, _ = INT_BOUNDS[field]
    with pytest.raises(PolicyError):
        validate(field, make_value(low))


@pytest.mark.parametrize("value", ["123", "12333", "96102", "123456789012"])
def test_hotline_accepts_3_to_12_digits(value: str) -> None:
    assert validate("hotline", value) == value


@pytest.mark.parametrize(
    "value",
    ["", "12", "1234567890123", "12a33", "123 33", "+12333", "１２３３３", 12333, None, True],
)
def test_hotline_refuses(value: object) -> None:
    with pytest.raises(PolicyError) as caught:
        validate("hotline", value)
    assert caught.value.field == "hotline"


@pytest.mark.parametrize("field", ["fees", "fees.unknown", "colour", ""])
def test_validate_refuses_fields_that_do_not_exist(field: str) -> None:
    with pytest.raises(PolicyError):
        validate(field, 1)


def test_flatten_and_nest_concrete() -> None:
    document = {"pin_max_tries": 4, "fees": {"lost": 1_000, "expired": 0}}
    flat = flatten(document)
    assert flat == {"pin_max_tries": 4, "fees.lost": 1_000, "fees.expired": 0}
    assert nest(flat) == document


def test_nest_without_fees_gives_an_empty_fee_table() -> None:
    assert nest({"hotline": "96102"}) == {"hotline": "96102", "fees": {}}


def test_fees_none_clears_every_fee() -> None:
    """`"fees": null` in a patch clears every fee back to inheritance."""
    assert flatten({"fees": None}) == {f"fees.{reason}": None for reason in FEE_REASONS}
    current = {f"fees.{reason}": 100 for reason in FEE_REASONS} | {"pin_max_tries": 5}
    assert apply_patch(current, flatten({"fees": None})) == {"pin_max_tries": 5}


def test_a_single_fee_none_clears_only_that_fee() -> None:
    current = {"fees.lost": 100, "fees.stolen": 200}
    assert apply_patch(current, flatten({"fees": {"lost": None}})) == {"fees.stolen": 200}


def test_an_unknown_fee_reason_is_refused_by_the_patch() -> None:
    with pytest.raises(PolicyError) as caught:
        apply_patch({}, flatten({"fees": {"gift": 100}}))
    assert caught.value.field == "fees.gift"


def _value_for(field: str) -> st.SearchStrategy[Any]:
    if field == "hotline":
        return st.text(alphabet="0123456789", min_size=3, max_size=12)
    low, high = INT_BOUNDS[field]
    return st.integers(min_value=low, max_value=high)


@st.composite
def overrides(draw: st.DrawFn, *, allow_none: bool = True) -> dict[str, Any]:
    """One region's stored overrides: a few fields, each a valid value (or None, "unset")."""
    fields = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=6))
    return {field: draw(st.none() | _value_for(field) if allow_none else _value_for(field)) for field in fields}


@given(st.lists(overrides(allow_none=False), max_size=4))
def test_flatten_nest_round_trip(layers: list[dict[str, Any]]) -> None:
    for flat in layers:
        document = nest(flat)
        assert set(document["fees"]) <= set(FEE_REASONS)
        assert flatten(document) == flat
        assert nest(flatten(document)) == document


@given(st.integers(min_value=1, max_value=4).flatmap(lambda n: st.lists(overrides(), min_size=n, max_size=n)))
def test_resolved_value_comes_from_the_deepest_layer_that_sets_it(layers: list[dict[str, Any]]) -> None:
    """Each value is the deepest non-None override, else the national default; sources agree."""
    codes = [NATIONAL, SICHUAN, MIANYANG, FUCHENG][: len(layers)]
    lineage = list(zip(codes, layers, strict=True))
    policy = resolve(lineage)
    assert policy.region == codes[-1]
    for field in FIELDS:
        expected_value, expected_source = NATIONAL_DEFAULTS[field], NATIONAL
        for code, layer in lineage:
            if layer.get(field) is not None:
                expected_value, expected_source = layer[field], code
        assert policy.values[field] == expected_value, field
        assert policy.sources[field] == expected_source, field
