"""The overview page: its sections, the "try it" form, evaluation plots and the label chart."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from bot.dashboard import charts, overview
from bot.services import Services
from tests.bot.dashboard.conftest import PNG
from tests.bot.dashboard.fakes import FakeDrafter, csrf_of, fake_repo, signed_in_client


@pytest.mark.usefixtures("stored")
def test_overview_shows_every_section(app: Flask) -> None:
    html = signed_in_client(app).get("/").get_data(as_text=True)
    assert 'class="version">clf-test-1<' in html
    assert 'class="served">gen-test<' in html
    assert "macro_f1" in html and "0.712" in html
    assert "label_psi" in html and "0.310" in html and "0.200" in html  # value and PSI threshold
    assert 'id="correction-rate">12.5%<' in html
    assert "rejected" in html and "macro_f1 0.710" in html and "macro_f1 0.690" in html
    assert "negative: 3</title>" in html
    assert "/dashboard/plots/roc.png" in html and "/dashboard/plots/calibration.png" not in html


@pytest.mark.usefixtures("stored")
def test_plots_are_served_only_by_their_fixed_names(app: Flask) -> None:
    client = signed_in_client(app)
    response = client.get("/dashboard/plots/roc.png")
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png"
    for path in (
        "/dashboard/plots/loss.png",
        "/dashboard/plots/..%2Fsecret.png",
        "/dashboard/plots/../secret.png",
        "/dashboard/plots/%2e%2e/secret.png",
    ):
        assert client.get(path).status_code == 404, path
    assert app.test_client().get("/dashboard/plots/roc.png").status_code == 302


def test_a_failing_section_does_not_break_the_page(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(db: object, *, since: object) -> list[object]:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(overview, "_repo", lambda: fake_repo(label_counts_by_day=broken))
    response = signed_in_client(app).get("/")
    assert response.status_code == 200
    assert "could not be loaded: label mix" in response.get_data(as_text=True)


@pytest.mark.usefixtures("stored")
def test_try_form_classifies_and_drafts(
    app: Flask, services: Services, drafter: FakeDrafter
) -> None:
    client = signed_in_client(app)
    token = csrf_of(client.get("/").get_data(as_text=True))
    response = client.post("/try", data={"csrf_token": token, "text": "Where is my refund?"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="try-label" class="label-negative">negative<' in html
    assert "Sorry to hear that" in html
    assert drafter.calls == [("Where is my refund?", None)]


def test_try_form_without_csrf_token_is_refused(
    app: Flask, services: Services, drafter: FakeDrafter
) -> None:
    client = signed_in_client(app)
    assert client.post("/try", data={"text": "hello"}).status_code == 403
    assert drafter.calls == []


def test_try_form_reports_drafting_unavailable(app: Flask, services: Services) -> None:
    services.drafter = None
    client = signed_in_client(app)
    token = csrf_of(client.get("/").get_data(as_text=True))
    html = client.post("/try", data={"csrf_token": token, "text": "thanks!"}).get_data(as_text=True)
    assert ">positive<" in html and "No draft" in html


def test_pages_send_security_headers(app: Flask) -> None:
    response = app.test_client().get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_label_mix_chart_stacks_counts_per_day() -> None:
    days = [
        (date(2026, 11, 1), {"negative": 2, "neutral": 0, "positive": 2}),
        (date(2026, 11, 2), {"negative": 0, "neutral": 4, "positive": 0}),
    ]
    svg = str(charts.label_mix_svg(days))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<rect") == 3
    assert "2026-11-01 negative: 2" in svg and "2026-11-02 neutral: 4" in svg
    assert "no messages" in str(charts.label_mix_svg([(date(2026, 11, 1), {})]))


def test_run_metrics_reads_common_shapes() -> None:
    assert overview.run_metrics({"active": {"macro_f1": 0.5}, "candidate": {"macro_f1": 0.6}}) == (
        "macro_f1 0.500",
        "macro_f1 0.600",
    )
    assert overview.run_metrics({"active_macro_f1": 0.5, "candidate_macro_f1": 0.6}) == (
        "macro_f1 0.500",
        "macro_f1 0.600",
    )
    assert overview.run_metrics({}) == ("-", "-")
