"""The cases and customers pages in headless Chromium, against the dashboard on a real port.

A workspace admin signs in with Slack (the OpenID Connect round trip at the fake Slack) and
sees their workspace only; the password sees every workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from storage.database import Database
from tests.bot.dashboard.browser import sign_in
from tests.bot.dashboard.case_seed import ADMIN_A, A, seed_cases
from tests.bot.dashboard.fakes import PASSWORD
from tests.bot.dashboard.server import serve_in_thread
from tests.fixtures.slack import FakeSlack

pytestmark = pytest.mark.browser

B_NAMES = ("U0CUSTB", "U0AGENTB", "C0ONLYB")


@pytest.fixture
def base_url(two_workspaces: Flask) -> Iterator[str]:
    with serve_in_thread(two_workspaces) as url:
        yield url


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A fresh tab with no session (the browser profile is shared by the module's tests)."""
    browser_context.clear_cookies()
    tab = browser_context.new_page()
    yield tab
    tab.close()


def sign_in_with_slack(
    page: Any, base_url: str, fake_slack: FakeSlack, user: str, team: str
) -> None:
    """Sign in as `user` of `team`: the browser's own request context (its cookies) starts the
    round trip, Slack's consent is skipped, and the fake Slack confirms who signed in."""
    start = page.context.request.get(f"{base_url}/login/slack", max_redirects=0)
    assert start.status == 302
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    fake_slack.answer("openid.connect.token", {"ok": True, "access_token": "xoxp-user"})
    fake_slack.answer(
        "openid.connect.userInfo",
        {"ok": True, "https://slack.com/user_id": user, "https://slack.com/team_id": team},
    )
    page.goto(f"{base_url}/login/slack/callback?code=the-code&state={state}")
    assert urlsplit(page.url).path == "/", page.content()


def shown_cases(page: Any) -> set[int]:
    return {
        int(row.split("-")[1])
        for row in page.locator("tr.case").evaluate_all("rows => rows.map(row => row.id)")
    }


def chart_titles(page: Any, section: str) -> list[str]:
    return [t.strip() for t in page.locator(f"#{section} svg rect title").all_text_contents()]


def test_a_workspace_admin_sees_only_their_cases_and_customers(
    page: Any, base_url: str, sqlite_db: Database, fake_slack: FakeSlack
) -> None:
    seeded = seed_cases(sqlite_db)
    sign_in_with_slack(page, base_url, fake_slack, ADMIN_A, A)
    page.click("#nav-cases")
    assert page.locator("#scope").inner_text() == f"Showing workspace {A}."
    assert shown_cases(page) == {seeded.a_resolved, seeded.a_open, seeded.a_external}
    assert not any(name in page.content() for name in B_NAMES)

    page.click("#nav-customers")
    customers = page.locator("tr.customer td:first-child").all_inner_texts()
    assert sorted(customers) == ["U0CUSTA", "U0EXT1"]
    page.click("text=U0CUSTA")
    assert page.locator("#customer-id").inner_text() == "U0CUSTA"
    assert page.locator("#negative-7d").inner_text() == "2"
    assert shown_cases(page) == {seeded.a_resolved, seeded.a_open}
    assert chart_titles(page, "customer-weeks")[-1].endswith(": 2")  # both opened this week

    elsewhere = page.goto(f"{base_url}/customers/U0CUSTB")  # B's customer: nothing of it here
    assert elsewhere is not None and elsewhere.status == 404
    api = page.context.request.get(f"{base_url}/api/cases")  # the session's API reads A too
    assert {case["team_id"] for case in api.json()["cases"]} == {A}


def test_filters_narrow_the_cases_and_the_charts(
    page: Any, base_url: str, sqlite_db: Database
) -> None:
    seeded = seed_cases(sqlite_db)
    sign_in(page, base_url, PASSWORD)
    page.click("#nav-cases")
    assert page.locator("#scope").inner_text() == "Showing every workspace."
    assert len(shown_cases(page)) == 5
    assert chart_titles(page, "time-to-acknowledge") == [
        "Time to acknowledge, <5m: 1",
        "Time to acknowledge, 5-15m: 1",
        "Time to acknowledge, >1d: 1",  # B's assignment after 30 h
    ]
    assert page.locator("#time-to-acknowledge .median").inner_text() == "10 min"
    assert page.locator("#time-to-resolve .median").inner_text() == "1.0 d"

    page.fill("#filter-channel", "C0SHARED")
    with page.expect_navigation():
        page.click("#filter-apply")
    assert shown_cases(page) == {seeded.a_resolved, seeded.a_external, seeded.b_assigned}
    page.select_option("#filter-state", "resolved")
    with page.expect_navigation():
        page.click("#filter-apply")
    assert shown_cases(page) == {seeded.a_resolved}
    assert chart_titles(page, "time-to-resolve") == ["Time to resolve, 1-4h: 1"]

    page.click("#filter-clear")
    page.click(f"#case-{seeded.b_assigned} a:text('U0AGENTB')")  # an assignee's cases
    assert parse_qs(urlsplit(page.url).query) == {"assignee": ["U0AGENTB"]}
    assert shown_cases(page) == {seeded.b_assigned}
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the cases page is {overflow}px wider than a phone screen"


def test_the_charts_render_with_no_cases(page: Any, base_url: str) -> None:
    sign_in(page, base_url, PASSWORD)
    response = page.goto(f"{base_url}/cases")
    assert response is not None and response.status == 200
    for section, words in (("acknowledge", "acknowledged"), ("resolve", "resolved")):
        chart = page.locator(f"#time-to-{section} svg.chart")
        assert chart.count() == 1 and chart.locator("rect").count() == 0
        assert f"no {words} cases to measure" in chart.text_content()
    assert page.locator("#no-cases").is_visible()
    page.click("#nav-customers")
    assert page.locator("#no-customers").is_visible()


def test_malformed_filters_get_a_clear_400_and_empty_ones_are_ignored(
    page: Any, base_url: str, sqlite_db: Database
) -> None:
    seed_cases(sqlite_db)
    sign_in(page, base_url, PASSWORD)
    for query, named in (("state=closed", "'state'"), ("channel=%3Cscript%3E", "'channel'")):
        response = page.goto(f"{base_url}/cases?{query}")
        assert response is not None and response.status == 400, query
        assert named in page.locator("#filter-error").inner_text()
        assert page.locator("tr.case").count() == 0
    ignored = page.goto(f"{base_url}/cases?channel=&assignee=+&state=&sort=id")
    assert ignored is not None and ignored.status == 200
    assert len(shown_cases(page)) == 5
    odd = page.goto(f"{base_url}/customers/U0CUSTA?org=not%20an%20id")
    assert odd is not None and odd.status == 400
    assert "'org'" in page.locator("#problem").inner_text()
    blank = page.goto(f"{base_url}/customers/%20")
    assert blank is not None and blank.status == 400
    unknown = page.goto(f"{base_url}/customers/U0NOBODY")
    assert unknown is not None and unknown.status == 404
    assert "Nothing of customer U0NOBODY" in page.locator("#problem").inner_text()
