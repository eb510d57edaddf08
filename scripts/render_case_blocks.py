"""Render the case alerts of docs/slack.md: the production Block Kit, drawn as a Slack-like page.

Builds each case state's alert (open, acknowledged, assigned, resolved with a note) and a digest
with its line menus through the real builders (`bot.blocks.triage`, `bot.blocks.cases`,
`bot.blocks.digest`), writes the blocks as JSON (`docs/blocks/case_*.json`, to paste into Slack's
Block Kit Builder) and screenshots a simple HTML rendering of each with the headless Chromium the
dashboard tests use (`docs/img/case_*.png`).

Run from the repository root:

    .venv/bin/python scripts/render_case_blocks.py

Needs Playwright (a dev dependency) and /usr/bin/chromium (`scripts/ensure_test_services.sh`).
"""

from __future__ import annotations

import html
import json
import logging
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.blocks.cases import build_case_blocks, build_history_line  # noqa: E402
from bot.blocks.digest import build_digest_blocks  # noqa: E402
from bot.blocks.triage import build_alert_blocks  # noqa: E402
from models.types import Prediction  # noqa: E402
from storage.records import AlertRecord, CaseRecord, DigestRecord  # noqa: E402

logger = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
NAMES = {"U0DANA": "dana", "U0LEE": "lee", "U0SAM": "sam", "U0ALEX": "alex", "C0SUPPORT": "support"}
# Slack's emoji as symbols the DejaVu font has (headless Chromium here has no colour emoji font).
EMOJI = {
    "rotating_light": ("⚠", "#e01e5a"),
    "red_circle": ("●", "#e01e5a"),
    "eyes": ("◉", "#1264a3"),
    "white_check_mark": ("✔", "#007a5a"),
    "wastebasket": ("✖", "#616061"),
    "repeat": ("↻", "#e8912d"),
}
START = datetime(2025, 3, 4, 9, 12, tzinfo=UTC)
LINK = "https://example.slack.com/archives/C0SUPPORT/p1741079520000100"
TEXT = "my order never arrived and nobody answers my emails"
CSS = """
body { font: 15px/1.45 'DejaVu Sans', sans-serif; color: #1d1c1d; margin: 0; background: #fff; }
.msg { display: flex; gap: 10px; padding: 14px 18px; width: 720px; }
.avatar { width: 36px; height: 36px; border-radius: 6px; background: #4a154b; color: #fff;
  font-weight: bold; display: flex; align-items: center; justify-content: center; }
.name { font-weight: bold; } .app { font-size: 11px; background: #e8e8e8; padding: 0 3px;
  border-radius: 3px; color: #555; margin-left: 4px; } .time { color: #777; font-size: 12px; }
.section { margin: 4px 0; display: flex; justify-content: space-between; gap: 8px; }
.context { color: #616061; font-size: 13px; margin: 4px 0; }
.actions { display: flex; gap: 8px; margin: 8px 0; flex-wrap: wrap; }
.btn, .select, .overflow { border: 1px solid #bbb; border-radius: 4px; padding: 3px 12px;
  font-weight: bold; font-size: 14px; background: #fff; height: 24px; line-height: 24px; }
.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
.select { font-weight: normal; min-width: 150px; } .select::after { content: ' ▾'; color: #777; }
.overflow { padding: 0 8px; } blockquote { border-left: 4px solid #ddd; margin: 4px 0;
  padding-left: 10px; } a { color: #1264a3; text-decoration: none; }
.mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
code { background: #f6f6f6; border: 1px solid #ddd; padding: 0 3px; border-radius: 3px; }
"""


def case(state: str, **changes: Any) -> CaseRecord:
    """A case of the example alert, in `state`."""
    base = CaseRecord(
        id=42,
        team_id="T0HOME",
        alert_id=7,
        escalation_channel="C0ESCALATE",
        channel_id="C0SUPPORT",
        message_ts="1741079520.000100",
        customer_id="U0DANA",
        customer_team=None,
        state=state,
        assignee_id=None,
        acknowledged_by=None,
        acknowledged_at=None,
        resolved_by=None,
        resolved_at=None,
        resolution_note=None,
        followups=0,
        last_followup_at=None,
        created_at=START,
        updated_at=START,
    )
    return replace(base, **changes)


def alert_blocks(example: CaseRecord) -> list[dict[str, Any]]:
    """The single alert as the sender renders it (`bot.outbox.delivery`)."""
    return build_alert_blocks(
        channel_id=example.channel_id,
        user_id=example.customer_id,
        text=TEXT,
        prediction=Prediction("negative", 0.91, {}, ""),
        permalink=LINK,
        feedback_state={"c": example.channel_id, "ts": example.message_ts, "team": "T0HOME"},
        history=build_history_line(3),
        case_blocks=build_case_blocks(example),
    )


def digest_blocks() -> list[dict[str, Any]]:
    """A digest of three alerts, one line per case with its menu."""
    texts = [TEXT, "charged twice for one order, this is ridiculous", "the app crashes again"]
    users = ["U0DANA", "U0ALEX", "U0DANA"]
    alerts = tuple(
        AlertRecord(
            id=7 + i,
            team_id="T0HOME",
            escalation_channel="C0ESCALATE",
            channel_id="C0SUPPORT",
            message_ts=f"17410795{i}0.000100",
            user_id=users[i],
            label="negative",
            confidence=0.9,
            text=texts[i],
            digest_id=3,
            created_at=START + timedelta(minutes=i),
        )
        for i in range(3)
    )
    acked = {"acknowledged_by": "U0LEE", "acknowledged_at": START}
    cases = {
        7: case("open", followups=1),
        8: case("acknowledged", id=43, alert_id=8, assignee_id="U0SAM", **acked),
        9: case("resolved", id=44, alert_id=9, resolved_by="U0LEE", **acked),
    }
    digest = DigestRecord(3, "T0HOME", "C0ESCALATE", START, 3, "1741079600.000200", alerts)
    return build_digest_blocks(digest, {a.id: LINK for a in alerts}, cases)


def examples() -> dict[str, list[dict[str, Any]]]:
    """File stem -> the blocks it shows."""
    acked = {"acknowledged_by": "U0LEE", "acknowledged_at": START + timedelta(minutes=3)}
    return {
        "case_open": alert_blocks(case("open")),
        "case_acknowledged": alert_blocks(case("acknowledged", **acked)),
        "case_assigned": alert_blocks(case("acknowledged", assignee_id="U0SAM", **acked)),
        "case_resolved": alert_blocks(
            case(
                "resolved",
                assignee_id="U0SAM",
                resolved_by="U0SAM",
                resolved_at=START + timedelta(minutes=40),
                resolution_note="Refunded the order and apologised; courier ticket 8812.",
                **acked,
            )
        ),
        "case_digest": digest_blocks(),
    }


def mrkdwn(text: str) -> str:
    """Slack mrkdwn as HTML: enough of it for these messages (mentions, links, emoji, bold,
    code, quotes)."""
    out = html.escape(text, quote=False)
    out = re.sub(r"&lt;@(\w+)&gt;", lambda m: _mention("@", m[1]), out)
    out = re.sub(r"&lt;#(\w+)&gt;", lambda m: _mention("#", m[1]), out)
    out = re.sub(r"&lt;!subteam\^(\w+)&gt;", lambda m: _mention("@", "oncall"), out)
    out = re.sub(r"&lt;(https?://[^|&]+)\|([^&]+)&gt;", r'<a href="\1">\2</a>', out)
    out = re.sub(r":([a-z_]+):", _emoji, out)
    out = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", out)
    out = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", out)
    out = re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"<i>\1</i>", out)
    lines = [
        f"<blockquote>{line[5:]}</blockquote>" if line.startswith("&gt; ") else line + "<br>"
        for line in out.split("\n")
    ]
    return "".join(lines)


def _emoji(match: re.Match[str]) -> str:
    symbol, colour = EMOJI.get(match[1], (match[0], "inherit"))
    return f'<span style="color: {colour}">{symbol}</span>'


def _mention(sign: str, ident: str) -> str:
    return f'<span class="mention">{sign}{NAMES.get(ident, ident)}</span>'


def element(item: dict[str, Any]) -> str:
    """A button, a user select or an overflow menu."""
    kind = item.get("type")
    if kind == "button":
        style = " primary" if item.get("style") == "primary" else ""
        return f'<span class="btn{style}">{html.escape(item["text"]["text"])}</span>'
    if kind == "users_select":
        chosen = item.get("initial_user")
        label = f"@{NAMES.get(chosen, chosen)}" if chosen else item["placeholder"]["text"]
        return f'<span class="select">{html.escape(label)}</span>'
    if kind == "overflow":
        return '<span class="overflow">⋯</span>'
    return ""


def block(item: dict[str, Any]) -> str:
    kind = item.get("type")
    if kind == "section":
        accessory = element(item["accessory"]) if "accessory" in item else ""
        return f'<div class="section"><div>{mrkdwn(item["text"]["text"])}</div>{accessory}</div>'
    if kind == "context":
        texts = " ".join(mrkdwn(e.get("text", "")) for e in item.get("elements", []))
        return f'<div class="context">{texts}</div>'
    if kind == "actions":
        return f'<div class="actions">{"".join(element(e) for e in item["elements"])}</div>'
    return ""


def page(blocks: list[dict[str, Any]]) -> str:
    """One bot message in a Slack-like frame."""
    body = "".join(block(item) for item in blocks)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{CSS}</style></head><body>"
        "<div class='msg' id='msg'><div class='avatar'>tb</div><div>"
        "<span class='name'>triagebot</span><span class='app'>APP</span> "
        f"<span class='time'>9:12 AM</span>{body}</div></div></body></html>"
    )


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        logger.error("no %s: run scripts/ensure_test_services.sh first", CHROMIUM)
        return 1
    images, blocks_dir = ROOT / "docs" / "img", ROOT / "docs" / "blocks"
    images.mkdir(parents=True, exist_ok=True)
    blocks_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        view = browser.new_page(viewport={"width": 760, "height": 400}, device_scale_factor=2)
        for stem, blocks in examples().items():
            (blocks_dir / f"{stem}.json").write_text(
                json.dumps({"blocks": blocks}, indent=2, ensure_ascii=False) + "\n"
            )
            view.set_content(page(blocks))
            view.locator("#msg").screenshot(path=str(images / f"{stem}.png"))
            logger.info("wrote docs/img/%s.png and docs/blocks/%s.json", stem, stem)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
