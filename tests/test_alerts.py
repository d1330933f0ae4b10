"""deploy/prometheus/alerts.yml names only what a live /metrics exposes, so the rules
cannot drift from the product (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML comes with mkdocs (dev)

from tests.api import Api

ALERTS = Path(__file__).parents[1] / "deploy" / "prometheus" / "alerts.yml"
PAGE = Path(__file__).parents[1] / "docs" / "operators" / "alerts.md"
# Series Prometheus makes itself rather than scrapes.
PROMETHEUS_OWN = frozenset({"up"})
HISTOGRAM_SERIES = ("_bucket", "_count", "_sum")
_METRIC = re.compile(r"\b(sscard_[a-z0-9_]+|up)\b")
_ROUTE = re.compile(r'route="([^"]+)"')


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def _exposed(text: str) -> dict[str, str]:
    """Each metric family /metrics declares, with its type."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE))


def _is_exposed(name: str, exposed: dict[str, str]) -> bool:
    if name in exposed or name in PROMETHEUS_OWN:
        return True
    base = next((name.removesuffix(s) for s in HISTOGRAM_SERIES if name.endswith(s)), None)
    return base is not None and exposed.get(base) == "histogram"


def test_every_metric_an_alert_names_is_exposed_by_a_live_server(api: Api) -> None:
    response = api.metrics()
    assert response.status_code == 200
    exposed = _exposed(response.text)
    named = {name for rule in _rules() for name in _METRIC.findall(rule["expr"])}
    assert named, "the rules name metrics"
    assert {name for name in named if not _is_exposed(name, exposed)} == set()


def test_every_route_an_alert_names_is_a_route_of_the_application(api: Api) -> None:
    paths = set(api.client.get("/openapi.json").json()["paths"])
    routes = {route for rule in _rules() for route in _ROUTE.findall(rule["expr"])}
    assert routes <= paths, routes - paths


def test_every_alert_is_explained_on_the_operators_page() -> None:
    page = PAGE.read_text()
    rules = _rules()
    assert rules
    for rule in rules:
        assert {"alert", "expr", "annotations"} <= rule.keys(), rule
        assert f"`{rule['alert']}`" in page, f"docs/operators/alerts.md says nothing of {rule['alert']}"
