"""Text someone else typed is echoed escaped: it cannot ping a channel or plant a masked link.

Slack parses `<...>` in mrkdwn (`<!channel>`, `<@U...>`, `<#C...>`, `<url|label>`); the builders
escape `&`, `<`, `>` in every piece of user text and leave the bot's own links and mentions alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.blocks.common import SECTION_TEXT_LIMIT, clip, escape_mrkdwn, quote
from bot.blocks.draft import build_draft_blocks, build_draft_edit_modal, build_draft_text
from bot.blocks.feedback import build_relabel_modal
from bot.blocks.prediction import build_prediction_blocks
from bot.blocks.triage import build_alert_blocks, build_alert_text
from models.types import Draft, Prediction
from tests.fixtures.slack import mrkdwn_texts

TOKENS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0VICTIM>",
    "<#C0SECRET>",
    "<!subteam^S0ONCALL>",
    "<https://evil.example|refund>",
)
HOSTILE = "refund now " + " ".join(TOKENS) + " fish & chips > 3 "
HUGE = (HOSTILE * (40_000 // len(HOSTILE) + 1))[:40_000]
PREDICTION = Prediction("negative", 0.9, {"negative": 0.9, "neutral": 0.05, "positive": 0.05}, "v1")
# What the bot composes itself and must keep as links and mentions.
BOT_LINKS = ("<#C0SUPPORT>", "<@U0CUSTOMER>", "<https://x.example/p1|open the message>")
ENTITY_OR_PLAIN = re.compile(r"(?:&amp;|&lt;|&gt;|[^&<>])*")
CUT_ENTITY = re.compile(r"&(?!(?:amp|lt|gt);)")


def without_bot_links(text: str) -> str:
    for link in BOT_LINKS:
        text = text.replace(link, "")
    return text


def alert(text: str) -> list[dict[str, Any]]:
    return build_alert_blocks(
        channel_id="C0SUPPORT",
        user_id="U0CUSTOMER",
        text=text,
        prediction=PREDICTION,
        permalink="https://x.example/p1",
        feedback_state={"c": "C0SUPPORT", "ts": "1.1", "team": "T1"},
    )


def draft_blocks(text: str) -> list[dict[str, Any]]:
    return build_draft_blocks(Draft(text, "stub", "negative", 5.0), {"m": text, "c": "C0SUPPORT"})


# Each builder that echoes user text, as (blocks or view, fallback text or "").
BUILDERS: dict[str, Callable[[str], tuple[Any, str]]] = {
    "alert": lambda t: (alert(t), build_alert_text(channel_id="C0SUPPORT", text=t)),
    "prediction": lambda t: (build_prediction_blocks(t, PREDICTION, feedback_state={}), ""),
    "draft": lambda t: (draft_blocks(t), build_draft_text(Draft(t, "stub", None, 5.0))),
    "draft edit modal": lambda t: (build_draft_edit_modal({"m": t, "d": t, "c": "C0S"}), ""),
    "relabel modal": lambda t: (build_relabel_modal({"t": t, "l": "negative"}), ""),
}


def test_escape_mrkdwn_escapes_the_three_characters() -> None:
    assert escape_mrkdwn("<!channel>") == "&lt;!channel&gt;"
    assert escape_mrkdwn("<@U123> <#C123>") == "&lt;@U123&gt; &lt;#C123&gt;"
    assert escape_mrkdwn("<https://evil.example|refund>") == "&lt;https://evil.example|refund&gt;"
    assert escape_mrkdwn("fish & chips") == "fish &amp; chips"
    assert escape_mrkdwn("*bold* _it_ :tada:") == "*bold* _it_ :tada:"  # formatting is harmless


def test_escape_mrkdwn_does_not_double_slacks_own_escaping() -> None:
    # Message events arrive escaped: a customer's "a < b & c" is "a &lt; b &amp; c".
    assert escape_mrkdwn("a &lt; b &amp; c &gt; d") == "a &lt; b &amp; c &gt; d"
    assert escape_mrkdwn("&ltx &amp &nbsp;") == "&amp;ltx &amp;amp &amp;nbsp;"
    assert escape_mrkdwn(escape_mrkdwn(HOSTILE)) == escape_mrkdwn(HOSTILE)


def test_clip_never_cuts_an_entity_in_half() -> None:
    escaped = escape_mrkdwn("&<>" * 50)
    for limit in range(1, 80):
        clipped = clip(escaped, limit)
        assert len(clipped) <= limit
        assert ENTITY_OR_PLAIN.fullmatch(clipped.removesuffix("…")), (limit, clipped)


def test_clip_never_cuts_a_bot_link_in_half() -> None:
    text = "see <https://x.example/p1|open the message> now"
    for limit in range(5, len(text)):
        clipped = clip(text, limit)
        assert clipped.count("<") == clipped.count(">"), (limit, clipped)


def test_quote_escapes_then_keeps_its_limit() -> None:
    quoted = quote("<!channel> " * 500, limit=300)
    assert quoted.startswith("> &lt;!channel&gt;") and len(quoted) <= 302
    assert "<" not in quoted


@pytest.mark.parametrize("name", list(BUILDERS))
def test_builders_escape_every_mention_and_link_a_user_typed(name: str) -> None:
    built, fallback = BUILDERS[name](HOSTILE)
    texts = [*mrkdwn_texts(built), fallback]
    shown = "\n".join(texts)
    assert "&lt;!channel&gt;" in shown and "&lt;https://evil.example|refund&gt;" in shown
    assert "fish &amp; chips &gt; 3" in shown
    for text in texts:
        assert "<" not in without_bot_links(text), (name, text)
        assert not any(token in text for token in TOKENS), (name, text)


def test_the_bot_keeps_its_own_links_and_mentions_in_an_alert() -> None:
    (section, _actions) = alert(HOSTILE)
    text = section["text"]["text"]
    for link in BOT_LINKS:
        assert link in text
    assert "<!channel>" not in text
    assert build_alert_text(channel_id="C0SUPPORT", text=HOSTILE).startswith(
        "Upset customer in <#C0SUPPORT>: refund now &lt;!channel&gt;"
    )


def test_the_edit_modal_input_gets_the_raw_draft() -> None:
    # plain_text_input.initial_value is plain text: Slack shows it as typed, nothing to escape.
    modal = build_draft_edit_modal({"m": "hi", "d": "<!here> fish & chips", "c": "C0S"})
    element = modal["blocks"][1]["element"]
    assert element["type"] == "plain_text_input"
    assert element["initial_value"] == "<!here> fish & chips"


@pytest.mark.parametrize("name", list(BUILDERS))
def test_forty_thousand_hostile_characters_stay_within_slack_limits(name: str) -> None:
    built, fallback = BUILDERS[name](HUGE)
    blocks = built["blocks"] if isinstance(built, dict) else built
    assert len(blocks) <= 50
    for text in [*mrkdwn_texts(built), fallback]:
        assert len(text) <= SECTION_TEXT_LIMIT
        assert "<" not in without_bot_links(text), name
        assert not CUT_ENTITY.search(text), name  # no entity cut in half by the 3000 limit
    for block in blocks:
        for element in block.get("elements", []):
            assert len(element.get("value", "")) <= 2000
        if block["type"] == "input":
            assert len(block["element"].get("initial_value", "")) <= 3000
    if isinstance(built, dict):
        assert len(built.get("private_metadata", "")) <= 3000
