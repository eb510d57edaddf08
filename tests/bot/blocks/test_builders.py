"""Block Kit builders are pure: data in, Slack-valid shapes out (limits included)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

from bot.blocks.common import confidence_bar
from bot.blocks.draft import build_draft_blocks, build_draft_edit_modal, build_working_modal
from bot.blocks.feedback import build_relabel_modal
from bot.blocks.home import HomeData, build_home_view
from bot.blocks.prediction import build_prediction_blocks
from bot.blocks.triage import build_alert_blocks, build_help_text, build_mode_prompt_blocks
from models.types import Draft, Prediction
from storage.records import DriftReportRecord, ModelVersionRecord

PREDICTION = Prediction(
    "negative", 0.87, {"negative": 0.87, "neutral": 0.1, "positive": 0.03}, "clf-1"
)


def action_ids(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_confidence_bar() -> None:
    assert confidence_bar(0.0) == "░" * 10
    assert confidence_bar(0.87) == "▓" * 9 + "░"
    assert confidence_bar(1.0) == "▓" * 10


def test_prediction_blocks_show_label_scores_and_feedback_buttons() -> None:
    blocks = build_prediction_blocks("my order never arrived", PREDICTION)
    text = json.dumps(blocks)
    assert "*negative*" in text and "87%" in text and "neutral: 0.10" in text
    assert action_ids(blocks) == ["feedback_correct", "feedback_wrong"]


def test_prediction_blocks_respect_slack_limits_for_huge_text() -> None:
    blocks = build_prediction_blocks("word " * 8000, PREDICTION)
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "actions":
            assert all(len(e["value"]) <= 2000 for e in block["elements"])


def test_draft_blocks_have_the_four_buttons() -> None:
    draft = Draft("Sorry, we are on it.", "smollm2", "negative", 1234.0)
    blocks = build_draft_blocks(draft, {"m": "late parcel", "c": "C1"})
    assert action_ids(blocks) == ["draft_post", "draft_edit", "draft_regenerate", "draft_discard"]
    assert json.loads(blocks[-1]["elements"][0]["value"])["d"] == "Sorry, we are on it."


def test_edit_modal_prefills_the_draft() -> None:
    modal = build_draft_edit_modal({"d": "Hello there", "m": "hi", "c": "C1"})
    assert modal["blocks"][1]["element"]["initial_value"] == "Hello there"
    assert len(modal["private_metadata"]) <= 3000
    assert len(build_working_modal("A very long title for a modal", "…")["title"]["text"]) <= 24


def test_relabel_modal_offers_the_other_labels_first() -> None:
    modal = build_relabel_modal({"t": "meh", "l": "negative"})
    label = modal["blocks"][2]["element"]
    assert [o["value"] for o in label["options"]] == ["negative", "neutral", "positive"]
    assert label["initial_option"]["value"] == "neutral"


def test_alert_links_to_the_message() -> None:
    blocks = build_alert_blocks(
        channel_id="C1",
        user_id="U1",
        text="angry",
        prediction=PREDICTION,
        permalink="https://x/p1",
        feedback_state={},
    )
    assert "<https://x/p1|open the message>" in blocks[0]["text"]["text"]


def test_mode_prompt_and_help() -> None:
    assert len(action_ids(build_mode_prompt_blocks("C1"))) == 4
    help_text = build_help_text({"sentiment": "/s", "draft": "/d", "triage": "/t"})
    assert "`/s TEXT`" in help_text and "`/t channel on" in help_text


def test_home_for_users_hides_admin_controls() -> None:
    view = build_home_view(HomeData(watched=[("C1", "alert")]))
    text = json.dumps(view)
    assert "<#C1> (alert)" in text and "home_retrain" not in text


def test_home_for_admins_shows_versions_mix_drift_and_buttons() -> None:
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    version = ModelVersionRecord(
        version="clf-2",
        kind="classifier",
        path="var/models/clf-2",
        parent_version=None,
        status="active",
        metrics={"macro_f1": 0.71, "accuracy": 0.8},
        data_snapshot={},
        created_at=now,
        activated_at=now,
    )
    drift = DriftReportRecord(id=1, created_at=now, metrics={}, fired=["label_psi"])
    data = HomeData(
        watched=[],
        is_admin=True,
        manages_models=True,
        versions=[version],
        label_mix={"negative": 3, "positive": 1},
        feedback_week=2,
        feedback_total=5,
        drift=drift,
    )
    view = build_home_view(data)
    text = json.dumps(view)
    for part in (
        "clf-2",
        "macro_f1 0.710",
        "negative: 3 (75%)",
        "label_psi",
        "2026-11-02 09:30",
        "home_rollback",
        "home_retrain",
    ):
        assert part in text
    assert len(view["blocks"]) <= 100
    # A workspace admin who is not an operator sees the model's status but no model buttons.
    admin_only = json.dumps(build_home_view(dataclasses.replace(data, manages_models=False)))
    assert "clf-2" in admin_only and "home_channel_settings" in admin_only
    assert "home_rollback" not in admin_only and "home_retrain" not in admin_only
