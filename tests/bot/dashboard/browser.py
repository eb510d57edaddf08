"""The browser scenario of the dashboard tests: sign in, read, use the form, CSRF refusals."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from models.types import LABELS
from tests.bot.dashboard.fakes import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sign_in(page: Any, base_url: str, password: str) -> Any:
    page.goto(f"{base_url}/")
    assert page.url.endswith("/login")
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def check_wrong_password(context: Any, base_url: str) -> None:
    page = context.new_page()
    sign_in(page, base_url, "not the password")
    assert page.locator("#login-error").inner_text() == "Wrong password."
    assert page.url.endswith("/login")
    page.close()


def check_overview(page: Any, classifier_version: str) -> None:
    assert page.locator("#model-classifier .version").inner_text() == classifier_version
    assert page.locator("#label-mix svg.chart").count() == 1
    assert page.locator("#label-mix svg.chart rect").count() > 0
    plots = page.locator("#plots img")
    assert plots.count() >= 1
    for index in range(plots.count()):
        plots.nth(index).scroll_into_view_if_needed()
        loaded = plots.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
        assert loaded, plots.nth(index).get_attribute("src")


def check_try_form(page: Any, expect_draft: bool) -> None:
    page.fill("#try-text", "I was charged twice and nobody answers my emails. I want a refund.")
    with page.expect_navigation():
        page.click("#try-submit")
    assert page.locator("#try-label").inner_text() in LABELS
    if expect_draft:
        assert page.locator("#try-draft").inner_text().strip()
    else:
        assert page.locator("#try-draft-error").inner_text().startswith("No draft")


def check_csrf_refusals(page: Any, base_url: str) -> None:
    request = page.context.request  # shares the signed-in session cookie
    without = request.post(f"{base_url}/api/classify", data={"text": "hello"})
    assert without.status == 403
    assert without.json()["error"]["code"] == "csrf_failed"
    form = request.post(f"{base_url}/try", form={"text": "hello"})
    assert form.status == 403
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    allowed = request.post(
        f"{base_url}/api/classify", data={"text": "hello"}, headers={"X-CSRF-Token": token}
    )
    assert allowed.status == 200 and allowed.json()["label"] in LABELS


def check_cases_page(page: Any) -> None:
    """The nav leads to the cases page; both distributions draw (empty or not)."""
    page.click("#nav-cases")
    assert page.locator("#time-to-acknowledge svg.chart").count() == 1
    assert page.locator("#time-to-resolve svg.chart").count() == 1
    page.click("#nav-overview")


def check_phone_layout(context: Any, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than a phone screen"


def drive_dashboard(
    context: Any, base_url: str, classifier_version: str, shot: Path, *, expect_draft: bool = True
) -> None:
    """The whole browser scenario shared by the in-process and the `triagebot serve` tests."""
    check_wrong_password(context, base_url)
    page = sign_in(context.new_page(), base_url, PASSWORD)
    check_overview(page, classifier_version)
    check_cases_page(page)
    check_try_form(page, expect_draft)
    page.screenshot(path=str(shot), full_page=True)
    check_csrf_refusals(page, base_url)
    check_phone_layout(context, page)
    page.close()
    keep = os.environ.get("DASHBOARD_SCREENSHOT")  # e.g. docs/img/dashboard.png
    if keep:
        shutil.copyfile(shot, keep)
