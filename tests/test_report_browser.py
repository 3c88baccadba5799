"""The report in a real browser: no console errors, no network requests, a screenshot.

Needs Chromium (Debian's ``chromium``, installed by .ci/run) and the ``playwright`` package, which
drives it without downloading a browser of its own. Skipped, saying why, when either is absent.
"""

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_report_loads_cleanly_offline(demo_run, tmp_path):
    out = demo_run[0]
    errors, requests = [], []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto((out / "report.html").resolve().as_uri())
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(tmp_path / "report-summary.png"))
        assert page.locator("#summary").is_visible() and "Hotelling" in page.locator(".summary").inner_text()
        figures = page.locator("figure img")
        assert figures.count() >= 5
        assert figures.first.evaluate("img => img.naturalWidth") > 100  # the PNG decoded
        page.locator("#figures").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "report-figures.png"))
        browser.close()
    assert errors == []
    assert [url for url in requests if not url.startswith("data:")] == [(out / "report.html").resolve().as_uri()]
    assert (tmp_path / "report-summary.png").stat().st_size > 10_000
