"""DOMAIN "Region": what the seeds say of Beijing and Zhangjiakou is in every installation."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from sscard.db import transaction
from sscard.policy.service import sync_regions
from tests.api import Api


def policy(api: Api, region: str) -> dict[str, object]:
    return dict(api.call("GET", f"/v1/regions/{region}/policy", api.clerk).json())


def test_beijing_answers_96102_and_makes_a_card_in_15_working_days(api: Api) -> None:
    beijing = policy(api, "110105")  # a district inherits its city's
    assert (beijing["hotline"], beijing["production_working_days"]) == ("96102", 15)
    assert beijing["sources"]["hotline"] == "110000"  # type: ignore[index]


def test_zhangjiakou_lifts_a_loss_the_next_day(api: Api) -> None:
    assert policy(api, "130702")["lift_after_days"] == 1
    assert policy(api, "510700")["hotline"] == "12333"  # Mianyang keeps the nation's


def test_an_admins_change_to_a_builtin_value_survives_the_next_start(api: Api) -> None:
    api.call("PUT", "/v1/regions/110000/policy", api.admin, json={"hotline": None})
    with transaction(
        sessionmaker(bind=api.rt.sessions.kw["bind"], join_transaction_mode="create_savepoint")
    ) as session:
        sync_regions(session)
    assert policy(api, "110000")["hotline"] == "12333"
