"""/docs renders in a real browser with its assets from this server and its CSP (issue 11)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from sscard.runtime import Runtime
from tests.invalid_list.live import live_server

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine")
def test_issue_11_docs_render_offline_under_their_csp(committed_rt: Runtime) -> None:
    assert BROWSER is not None
    with live_server(committed_rt) as server:
        page = subprocess.run(
            [
                BROWSER,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=10000",
                "--dump-dom",
                f"{server.base}/docs",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    # Swagger UI ran (its scripts were allowed) and rendered the operations of the document.
    assert 'data-path="/v1/users"' in page
    assert "Unable to render" not in page
