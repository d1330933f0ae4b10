"""Demo data: regions' policies, staff, a designated pharmacy, insured persons with cards.

Loaded by `sscard demo` and `sscard serve --demo`, through the same services the API
uses, so the demo shows the product's real rules. Loading twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sscard.auth.models import User
from sscard.auth.service import NewUser, create_user
from sscard.cards.service import activate, issue_card
from sscard.db import transaction
from sscard.institutions.service import NewInstitution, add_terminal, register_institution
from sscard.people.schemes import Scheme
from sscard.people.service import NewPerson, deposit, register_person
from sscard.policy.regions import NATIONAL
from sscard.policy.service import update_policy
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.unit import Unit

DEMO_PASSWORD = "sscard-demo"  # noqa: S105 (demo data, printed on purpose)
DEMO_PIN = "135790"
DEMO_TERMINAL_ID = "trm_demo_pharmacy"
DEMO_TERMINAL_SECRET = "demo-terminal-secret-not-for-production"  # noqa: S105 (likewise)

# Beyond what every installation knows of the seeds' regions (policy.rules.
# BUILTIN_OVERRIDES): provisional reports run 7 days in Zhangjiakou and 10 in Mianyang.
POLICIES: dict[str, dict[str, Any]] = {
    "130700": {"provisional_valid_days": 7},
    "510700": {"provisional_valid_days": 10},
}

STAFF = [
    ("admin", Role.ADMIN, NATIONAL, None),
    ("clerk.beijing", Role.CLERK, "110000", None),
    ("operator.beijing", Role.OPERATOR, "110000", None),
    ("bank.icbc", Role.BANK, "110000", "ICBC"),
    ("auditor", Role.AUDITOR, NATIONAL, None),
    ("clerk.zhangjiakou", Role.CLERK, "130700", None),
    ("clerk.mianyang", Role.CLERK, "510700", None),
]


@dataclass(frozen=True, slots=True)
class DemoPerson:
    id_number: str
    name: str
    region: str
    scheme: Scheme
    unit_name: str
    bank: str
    balance: int
    login: str | None
    # Numbers of the 1380013xxxx test range: the demo's messages go to var/messages.jsonl.
    phone: str | None = None


PERSONS = [
    DemoPerson(
        "110105198503120020",
        "李秀英",
        "110105",
        Scheme.EMPLOYEE,
        "北京市朝阳区某科技有限公司",
        "ICBC",
        268_050,
        "li.xiuying",
        "13800138001",
    ),
    DemoPerson("110108200509150035", "王浩然", "110108", Scheme.STUDENT, "北京市海淀区某中学", "ICBC", 35_000, None),
    DemoPerson(
        "110101194807230014",
        "张建国",
        "110101",
        Scheme.URBAN_RESIDENT,
        "东城区东华门街道某社区居委会",
        "BOB",
        120_000,
        "zhang.jianguo",
        "13800138003",
    ),
    DemoPerson("13070219761102002X", "赵淑芬", "130702", Scheme.EMPLOYEE, "张家口市桥东区某公司", "ZJKB", 88_800, None),
    DemoPerson(
        "510703199201150020",
        "阿依古丽·买买提",
        "510703",
        Scheme.URBAN_RESIDENT,
        "涪城区某社区居委会",
        "MYCCB",
        52_000,
        None,
    ),
    DemoPerson(
        "510722196505080039", "陈德明", "510722", Scheme.RURAL_RESIDENT, "三台县某村村民委员会", "SCRCU", 18_600, None
    ),
]


def is_loaded(rt: Runtime) -> bool:
    """Whether the demo's staff already exist."""
    with transaction(rt.sessions) as session:
        return session.scalar(select(User.id).where(User.username == "clerk.beijing")) is not None


def load(rt: Runtime) -> bool:
    """Load the demo data once; returns False when it was there already."""
    if is_loaded(rt):
        return False
    with transaction(rt.sessions) as session:
        unit = Unit(session=session, runtime=rt, actor=Principal("demo", Role.ADMIN), now=rt.clock.now())
        for region, policy in POLICIES.items():
            update_policy(unit, region, dict(policy))
        for username, role, region, bank in STAFF:
            if session.scalar(select(User.id).where(User.username == username)) is None:
                create_user(unit, NewUser(username, DEMO_PASSWORD, role, region, bank=bank))
        _load_pharmacy(unit)
        for person in PERSONS:
            _load_person(unit, person)
    return True


def _load_pharmacy(unit: Unit) -> None:
    pharmacy = register_institution(
        unit, NewInstitution("朝阳区某大药房（定点）", "pharmacy", "110105", designated=True)
    )
    add_terminal(unit, pharmacy.id, credentials=(DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET))


def _load_person(unit: Unit, demo: DemoPerson) -> None:
    person = register_person(
        unit, NewPerson(demo.id_number, demo.name, demo.region, demo.scheme, demo.unit_name, demo.phone)
    )
    card = issue_card(unit, person.id, demo.bank)
    activate(unit, card.card_no, DEMO_PIN)
    deposit(unit, person.id, demo.balance, "demo opening balance")
    if demo.login:
        create_user(unit, NewUser(demo.login, DEMO_PASSWORD, Role.CARDHOLDER, demo.region, person_id=person.id))


def logins() -> list[tuple[str, str, str]]:
    """(who, username or client id, password or secret) for the demo banner."""
    rows = [
        (f"{role} {region}" + (f" {bank}" if bank else ""), username, DEMO_PASSWORD)
        for username, role, region, bank in STAFF
    ]
    rows += [(f"cardholder {p.name}", p.login, DEMO_PASSWORD) for p in PERSONS if p.login]
    rows.append(("terminal (client_credentials)", DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET))
    return rows
