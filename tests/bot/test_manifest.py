"""The Slack app manifests agree with the code: commands, shortcuts, events, scopes and the
Workflow Builder steps (functions)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.app import BOT_SCOPES
from bot.settings import SlackSettings
from tests.bot.listeners.test_functions import function_executed
from tests.fixtures.slack import BotHarness, event_body, interactive_body, message_shortcut

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = {"http": ROOT / "manifest.yml", "socket": ROOT / "manifest.socket.yml"}

# Bot scopes each Web API method needs (api.slack.com/methods); methods needing none map to ().
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat_postMessage": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    "chat_update": ("chat:write",),
    "chat_delete": ("chat:write",),
    "chat_getPermalink": (),
    "reactions_add": ("reactions:write",),
    "reactions_remove": ("reactions:write",),
    "users_info": ("users:read",),
    "conversations_open": ("im:write",),
    "conversations_info": ("channels:read",),
    "views_open": (),
    "views_update": (),
    "views_publish": (),
    "auth_test": (),
    "functions_completeSuccess": (),
    "functions_completeError": (),
}
# Scopes each subscribed event needs (api.slack.com/events); events not listed need none.
# member_joined_channel needs channels:read in public channels and groups:read in private ones.
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "message.channels": ("channels:history",),
    "message.groups": ("groups:history",),
    "app_mention": ("app_mentions:read",),
    "member_joined_channel": ("channels:read", "groups:read"),
}
# Scopes for what the bot reads inside event payloads: message events carry a message's
# `metadata` (event_type, payload) only with metadata.message:read. Writing metadata into a
# message the bot posts (`payload["metadata"] = ...`) needs only chat:write.
PAYLOAD_SCOPES: dict[str, str] = {
    "metadata.message:read": r"""(get\(["']metadata["']\)|\[["']metadata["']\](?!\s*=[^=]))""",
}
# The Workflow Builder steps: name -> (type, required) of their inputs and of their outputs.
STEPS = {
    "classify_sentiment": (
        {"text": ("string", True)},
        {"label": ("string", True), "confidence": ("number", True)},
    ),
    "draft_reply": ({"text": ("string", True)}, {"draft": ("string", True)}),
}


def load(kind: str) -> dict[str, Any]:
    return yaml.safe_load(MANIFESTS[kind].read_text())


def surface(manifest: dict[str, Any]) -> dict[str, Any]:
    features, settings = manifest["features"], manifest["settings"]
    return {
        "commands": sorted(c["command"] for c in features["slash_commands"]),
        "shortcuts": sorted((s["callback_id"], s["type"]) for s in features["shortcuts"]),
        "events": sorted(settings["event_subscriptions"]["bot_events"]),
        "scopes": sorted(manifest["oauth_config"]["scopes"]["bot"]),
        "home_tab": features["app_home"]["home_tab_enabled"],
        "interactivity": settings["interactivity"]["is_enabled"],
        "functions": {
            callback_id: (parameters(f["input_parameters"]), parameters(f["output_parameters"]))
            for callback_id, f in manifest.get("functions", {}).items()
        },
        "function_settings": (settings.get("function_runtime"), settings["org_deploy_enabled"]),
        "manifest_version": manifest.get("_metadata", {}).get("major_version"),
    }


def parameters(declared: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """A function's parameters as name -> (type, required), from `properties` and `required`."""
    required = set(declared.get("required", []))
    return {name: (p["type"], name in required) for name, p in declared["properties"].items()}


def source_matches(pattern: str) -> set[str]:
    """Every first group of `pattern` in the bot package's source."""
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        found.update(re.findall(pattern, path.read_text()))
    return found


def test_http_and_socket_manifests_declare_the_same_app() -> None:
    http, socket = load("http"), load("socket")
    assert surface(http) == surface(socket)
    assert surface(http)["home_tab"] and surface(http)["interactivity"]
    assert (http["settings"]["socket_mode_enabled"], socket["settings"]["socket_mode_enabled"]) == (
        False,
        True,
    )
    http_urls = [c["url"] for c in http["features"]["slash_commands"]]
    http_urls += [
        http["settings"]["event_subscriptions"]["request_url"],
        http["settings"]["interactivity"]["request_url"],
    ]
    assert {url.rsplit("/", 2)[-2:] == ["slack", "events"] for url in http_urls} == {True}
    assert http["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    assert "url" not in json.dumps(socket["features"]) + json.dumps(socket["settings"])


@pytest.mark.parametrize("kind", list(MANIFESTS))
def test_slash_commands_are_the_setting_defaults(kind: str) -> None:
    fields = SlackSettings.model_fields
    defaults = [fields[f"{name}_command"].default for name in ("sentiment", "draft", "triage")]
    assert surface(load(kind))["commands"] == sorted(defaults)


def test_oauth_install_asks_for_the_manifest_scopes() -> None:
    assert surface(load("http"))["scopes"] == sorted(BOT_SCOPES)


def first_listener(bot: BotHarness, body: str, content_type: str) -> Any:
    """The listener Bolt would run for this request (the first whose matchers accept it)."""
    request = BoltRequest(body=body, headers={"Content-Type": content_type})
    response = BoltResponse(status=404)
    listeners = bot.app._listeners  # Bolt keeps them in registration order
    return next(x for x in listeners if x.matches(req=request, resp=response)).ack_function


def event_payload(subscription: str) -> dict[str, Any]:
    kind = subscription.split(".")[0]
    if kind == "function_executed":
        return function_executed("classify_sentiment", text="hi", execution_id="Fx-manifest")
    event: dict[str, Any] = {"type": kind, "user": "U0USER", "channel": "C0SUPPORT", "ts": "1.1"}
    if subscription.startswith("message."):
        event["channel_type"] = {"channels": "channel", "groups": "group"}[subscription[8:]]
    return event


def test_every_subscribed_event_reaches_its_own_listener(bot: BotHarness) -> None:
    for subscription in surface(load("http"))["events"]:
        body = event_body(event_payload(subscription), event_id=f"Ev-{subscription}")
        handler = first_listener(bot, body, "application/json")
        assert handler.__module__ != "bot.listeners.fallbacks", subscription


def test_every_shortcut_reaches_its_own_listener(bot: BotHarness) -> None:
    for callback_id, _type in surface(load("http"))["shortcuts"]:
        payload = message_shortcut(callback_id, text="hi", ts="1.1", response_url="x")
        handler = first_listener(
            bot, interactive_body(payload), "application/x-www-form-urlencoded"
        )
        assert handler.__module__ != "bot.listeners.fallbacks", callback_id


def test_an_undeclared_shortcut_falls_through_to_the_catch_all(bot: BotHarness) -> None:
    payload = message_shortcut("not_in_the_manifest", text="hi", ts="1.1", response_url="x")
    handler = first_listener(bot, interactive_body(payload), "application/x-www-form-urlencoded")
    assert handler.__module__ == "bot.listeners.fallbacks"


def test_every_registered_event_and_shortcut_is_declared() -> None:
    manifest = surface(load("http"))
    declared_events = {e.split(".")[0] for e in manifest["events"]}
    assert source_matches(r'@app\.event\("(\w+)"\)') <= declared_events
    assert source_matches(r'@app\.shortcut\("(\w+)"\)') == {c for c, _ in manifest["shortcuts"]}
    assert source_matches(r'@app\.function\("(\w+)"\)') == set(manifest["functions"])


@pytest.mark.parametrize("kind", list(MANIFESTS))
def test_workflow_steps_are_declared_with_their_parameters(kind: str) -> None:
    manifest = surface(load(kind))
    assert manifest["functions"] == STEPS
    assert "function_executed" in manifest["events"]
    # Steps run by this app (Bolt), not on Slack's own runtime; Slack lists custom steps of
    # org-ready apps only; `properties` + `required` parameters are manifest schema 2.
    assert manifest["function_settings"] == ("remote", True)
    assert manifest["manifest_version"] == 2


def test_every_step_reaches_its_own_listener(bot: BotHarness) -> None:
    for callback_id in surface(load("http"))["functions"]:
        event = function_executed(callback_id, text="hi", execution_id=f"Fx-{callback_id}")
        handler = first_listener(bot, event_body(event, event_id="Ev-step"), "application/json")
        assert handler.__name__ == f"handle_{callback_id}", callback_id


def test_an_undeclared_step_reaches_the_step_catch_all(bot: BotHarness) -> None:
    event = function_executed("not_in_the_manifest", text="hi", execution_id="Fx-unknown")
    handler = first_listener(bot, event_body(event, event_id="Ev-step"), "application/json")
    assert handler.__name__ == "handle_unknown_step"


OUTBOX_METHOD = r'method="((?:chat|reactions|users|conversations|views|functions)\.[A-Za-z]+)"'


def needed_scopes(manifest: dict[str, Any]) -> set[str]:
    """The bot scopes the code's Web API calls and the manifest's events need."""
    methods = source_matches(r"\bclient\.([a-z]+_[A-Za-z]+)\b")
    # Calls the outbox makes later are stored by their Web API name ("conversations.open").
    methods |= {name.replace(".", "_") for name in source_matches(OUTBOX_METHOD)}
    assert "reactions_add" in methods and "users_info" in methods  # the scan finds calls
    unknown = methods - METHOD_SCOPES.keys()
    assert not unknown, f"add the scopes of {sorted(unknown)} to METHOD_SCOPES"
    needed = {scope for method in methods for scope in METHOD_SCOPES[method]}
    needed |= {scope for e in manifest["events"] for scope in EVENT_SCOPES.get(e, ())}
    needed |= {scope for scope, read in PAYLOAD_SCOPES.items() if source_matches(read)}
    needed.add("commands")  # slash commands and shortcuts
    return needed


@pytest.mark.parametrize("kind", list(MANIFESTS))
def test_scopes_cover_every_web_api_method_and_event(kind: str) -> None:
    manifest = surface(load(kind))
    missing = needed_scopes(manifest) - set(manifest["scopes"])
    assert not missing, f"{kind} manifest lacks {sorted(missing)}"


@pytest.mark.parametrize("kind", list(MANIFESTS))
def test_no_scope_is_requested_that_nothing_uses(kind: str) -> None:
    manifest = surface(load(kind))
    unused = set(manifest["scopes"]) - needed_scopes(manifest)
    assert not unused, f"{kind} manifest asks for {sorted(unused)}, which no call or event needs"


def test_private_channel_invitations_are_noticed() -> None:
    # member_joined_channel fires in private channels only with groups:read.
    for kind in MANIFESTS:
        manifest = surface(load(kind))
        assert "member_joined_channel" in manifest["events"]
        assert {"channels:read", "groups:read"} <= set(manifest["scopes"]), kind
    assert "groups:read" in BOT_SCOPES


def test_the_scope_table_in_the_docs_lists_the_manifest_scopes() -> None:
    text = (ROOT / "docs" / "slack.md").read_text()
    table = text.split("### Scopes, and why", 1)[1].split("\n\n", 2)[1]
    first_cells = [row.split("|")[1] for row in table.splitlines()[2:]]
    documented = {scope for cell in first_cells for scope in re.findall(r"`([a-z_.:]+)`", cell)}
    assert documented == set(surface(load("http"))["scopes"])
