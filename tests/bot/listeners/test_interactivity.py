"""Buttons, shortcuts, modals and App Home through `app.dispatch`."""

from __future__ import annotations

import json

import pytest

from bot.payloads import encode
from storage import repositories as repo
from storage.workspaces import ALL_WORKSPACES
from tests.fixtures.slack import (
    TEAM_ID,
    BotHarness,
    block_action,
    message_shortcut,
    view_submission,
)


def view_of(call_params: dict) -> dict:
    view = call_params["view"]
    return json.loads(view) if isinstance(view, str) else view


def test_wrong_label_click_and_modal_leave_one_feedback_row(bot: BotHarness) -> None:
    value = encode({"t": "my order never arrived", "l": "negative", "c": "C0SUPPORT"})
    bot.interact(block_action("feedback_wrong", value, response_url=bot.slack.response_url()))
    bot.settle()
    modal = view_of(bot.slack.calls_to("views.open")[0].params)
    assert modal["callback_id"] == "relabel_submit"
    submission = view_submission(
        "relabel_submit",
        {
            "label": {"type": "radio_buttons", "selected_option": {"value": "neutral"}},
            "note": {"type": "plain_text_input", "value": "just a question"},
        },
        private_metadata=modal["private_metadata"],
    )
    response = bot.interact(submission)
    bot.settle()
    assert json.loads(response.body)["response_action"] == "update"  # the short confirmation
    (row,) = repo.list_feedback(bot.services.db, team_id=ALL_WORKSPACES)
    assert (row.label, row.predicted_label, row.note, row.source) == (
        "neutral",
        "negative",
        "just a question",
        "modal",
    )


def test_relabel_without_a_label_shows_an_error(bot: BotHarness) -> None:
    response = bot.interact(view_submission("relabel_submit", {"label": {}}))
    assert json.loads(response.body)["response_action"] == "errors"
    assert repo.list_feedback(bot.services.db, team_id=ALL_WORKSPACES) == []


def test_correct_click_records_and_confirms(bot: BotHarness) -> None:
    value = encode({"t": "thanks a lot", "l": "positive"})
    bot.interact(block_action("feedback_correct", value, response_url=bot.slack.response_url()))
    bot.settle()
    assert "Thanks" in bot.slack.calls_to("response_url")[0].params["text"]
    assert [r.label for r in repo.list_feedback(bot.services.db, team_id=ALL_WORKSPACES)] == [
        "positive"
    ]


def test_feedback_with_malformed_value_says_it_expired(bot: BotHarness) -> None:
    bot.interact(
        block_action("feedback_correct", "{not json", response_url=bot.slack.response_url())
    )
    bot.settle()
    assert "no longer works" in bot.slack.calls_to("response_url")[0].params["text"]


def draft_value() -> str:
    return encode(
        {
            "m": "where is my parcel",
            "d": "Sorry, checking now.",
            "c": "C0SUPPORT",
            "th": "1.1",
            "team": TEAM_ID,
        }
    )


def test_post_draft_posts_in_thread_and_stores_the_reply(bot: BotHarness) -> None:
    bot.interact(block_action("draft_post", draft_value(), response_url=bot.slack.response_url()))
    bot.settle()
    (post,) = bot.slack.calls_to("chat.postMessage")
    assert (post.params["channel"], post.params["thread_ts"]) == ("C0SUPPORT", "1.1")
    assert bot.slack.calls_to("response_url")[0].params["replace_original"] is True
    (reply,) = repo.list_approved_replies(bot.services.db, team_id=ALL_WORKSPACES)
    assert reply.reply_text == "Sorry, checking now."


def test_posted_reply_cannot_ping_the_channel(bot: BotHarness) -> None:
    draft = "<!channel> see <https://evil.example|this> & more"
    value = encode({"m": "hi", "d": draft, "c": "C0SUPPORT"})
    bot.interact(block_action("draft_post", value, response_url=bot.slack.response_url()))
    bot.settle()
    (post,) = bot.slack.calls_to("chat.postMessage")
    escaped = "&lt;!channel&gt; see &lt;https://evil.example|this&gt; &amp; more"
    assert post.params["text"] == escaped
    (reply,) = repo.list_approved_replies(bot.services.db, team_id=ALL_WORKSPACES)
    assert reply.reply_text == draft  # stored as written


def test_post_draft_where_the_bot_is_not_in_the_channel(bot: BotHarness) -> None:
    bot.slack.fail("chat.postMessage", "not_in_channel")
    bot.interact(block_action("draft_post", draft_value(), response_url=bot.slack.response_url()))
    bot.settle()
    assert "Invite me" in bot.slack.calls_to("response_url")[0].params["text"]
    assert repo.list_approved_replies(bot.services.db, team_id=ALL_WORKSPACES) == []


def test_edit_draft_opens_modal_and_submit_stores_both_versions(bot: BotHarness) -> None:
    bot.interact(block_action("draft_edit", draft_value(), response_url=bot.slack.response_url()))
    bot.settle()
    modal = view_of(bot.slack.calls_to("views.open")[0].params)
    submission = view_submission(
        "draft_edit_submit",
        {"reply": {"type": "plain_text_input", "value": "Edited reply."}},
        private_metadata=modal["private_metadata"],
    )
    bot.interact(submission)
    bot.settle()
    assert bot.slack.calls_to("chat.postMessage")[0].params["text"] == "Edited reply."
    assert "edited and posted" in bot.slack.wait_for("response_url")[0].params["text"]
    (reply,) = repo.list_approved_replies(bot.services.db, team_id=ALL_WORKSPACES)
    assert (reply.reply_text, reply.draft_text) == ("Edited reply.", "Sorry, checking now.")


def test_regenerate_and_discard(bot: BotHarness) -> None:
    bot.interact(
        block_action("draft_regenerate", draft_value(), response_url=bot.slack.response_url())
    )
    bot.settle()
    _working, fresh = bot.slack.calls_to("response_url")
    assert "Draft 1." in json.dumps(fresh.params["blocks"])
    bot.interact(
        block_action("draft_discard", draft_value(), response_url=bot.slack.response_url())
    )
    bot.settle()
    assert bot.slack.calls_to("response_url")[-1].params["delete_original"] is True


def test_admin_mode_choice_after_invite_is_stored(bot: BotHarness) -> None:
    bot.slack.admins.add("U0ADMIN")
    url = bot.slack.response_url()
    # The prompt sits in the channel it is about.
    bot.interact(
        block_action(
            "channel_mode_choose",
            "C0NEW:suggest",
            response_url=url,
            channel_id="C0NEW",
            user_id="U0ADMIN",
        )
    )
    bot.settle()
    stored = repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0NEW")
    assert stored is not None and stored.mode == "suggest" and stored.enabled


def test_non_admin_mode_choice_stores_nothing_and_keeps_the_prompt(bot: BotHarness) -> None:
    url = bot.slack.response_url()
    bot.interact(
        block_action(
            "channel_mode_choose",
            "C0NEW:suggest",
            response_url=url,
            channel_id="C0NEW",
            user_id="U0PLAIN",
        )
    )
    bot.settle()
    assert repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0NEW") is None
    (answer,) = bot.slack.calls_to("response_url")
    assert "Only workspace admins" in answer.params["text"]
    assert answer.params["response_type"] == "ephemeral"
    assert answer.params["replace_original"] is False  # an admin can still press a button


def test_mode_choice_naming_another_channel_changes_nothing(bot: BotHarness) -> None:
    bot.slack.admins.add("U0ADMIN")
    url = bot.slack.response_url()
    bot.interact(
        block_action(
            "channel_mode_choose",
            "C0ELSE:off",
            response_url=url,
            channel_id="C0NEW",
            user_id="U0ADMIN",
        )
    )
    bot.settle()
    assert repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0ELSE") is None
    assert "no longer works" in bot.slack.calls_to("response_url")[0].params["text"]


FORGED_TEAM = "T_OTHER"


def test_forged_team_in_a_button_value_cannot_write_into_another_workspace(
    bot: BotHarness,
) -> None:
    value = encode(
        {"t": "so angry", "l": "negative", "c": "C0SUPPORT", "ts": "5.5", "team": FORGED_TEAM}
    )
    bot.interact(block_action("feedback_correct", value, response_url=bot.slack.response_url()))
    bot.interact(
        block_action(
            "draft_post",
            encode({"m": "hi", "d": "On it.", "c": "C0SUPPORT", "team": FORGED_TEAM}),
            response_url=bot.slack.response_url(),
        )
    )
    bot.settle()
    (row,) = repo.list_feedback(bot.services.db, team_id=ALL_WORKSPACES)
    assert (row.team_id, row.channel_id, row.message_ts) == (TEAM_ID, "C0SUPPORT", "5.5")
    (reply,) = repo.list_approved_replies(bot.services.db, team_id=ALL_WORKSPACES)
    assert reply.team_id == TEAM_ID
    assert repo.list_approved_replies(bot.services.db, team_id=FORGED_TEAM) == []


def test_forged_team_in_private_metadata_cannot_write_into_another_workspace(
    bot: BotHarness,
) -> None:
    label = {"type": "radio_buttons", "selected_option": {"value": "neutral"}}
    metadata = encode({"l": "negative", "c": "C0SUPPORT", "ts": "5.6", "team": FORGED_TEAM})
    bot.interact(view_submission("relabel_submit", {"label": label}, private_metadata=metadata))
    metadata = encode({"m": "hi", "d": "On it.", "c": "C0SUPPORT", "team": FORGED_TEAM})
    reply = {"type": "plain_text_input", "value": "Edited."}
    bot.interact(view_submission("draft_edit_submit", {"reply": reply}, private_metadata=metadata))
    bot.settle()
    (row,) = repo.list_feedback(bot.services.db, team_id=ALL_WORKSPACES)
    assert (row.team_id, row.message_ts) == (TEAM_ID, "5.6")
    (posted,) = repo.list_approved_replies(bot.services.db, team_id=ALL_WORKSPACES)
    assert posted.team_id == TEAM_ID


def test_unknown_action_is_acked_and_logged(bot: BotHarness, caplog) -> None:
    response = bot.interact(
        block_action("from_an_old_version", "x", response_url=bot.slack.response_url())
    )
    bot.settle()
    assert response.status == 200
    assert "ignored unknown action ['from_an_old_version']" in caplog.text


def test_classify_shortcut_works_in_threads(bot: BotHarness) -> None:
    bot.interact(
        message_shortcut(
            "classify_message",
            text="so angry",
            ts="2.2",
            thread_ts="2.1",
            response_url=bot.slack.response_url(),
        )
    )
    bot.settle()
    assert "*negative*" in json.dumps(bot.slack.calls_to("response_url")[0].params["blocks"])


def test_classify_shortcut_escapes_the_quoted_message(bot: BotHarness) -> None:
    bot.interact(
        message_shortcut(
            "classify_message",
            text="so angry <!channel> <https://evil.example|refund>",
            ts="2.3",
            response_url=bot.slack.response_url(),
        )
    )
    bot.settle()
    shown = "\n".join(bot.slack.calls_to("response_url")[0].mrkdwn())
    assert "&lt;!channel&gt; &lt;https://evil.example|refund&gt;" in shown
    assert "<" not in shown


def test_draft_shortcut_opens_working_modal_then_updates_it(bot: BotHarness) -> None:
    bot.interact(
        message_shortcut(
            "draft_reply",
            text="so angry",
            ts="2.2",
            thread_ts="2.1",
            response_url=bot.slack.response_url(),
        )
    )
    bot.settle()
    opened = view_of(bot.slack.calls_to("views.open")[0].params)
    assert "Drafting" in json.dumps(opened)
    (update,) = bot.slack.calls_to("views.update")
    edit = view_of(update.params)
    assert edit["callback_id"] == "draft_edit_submit"
    assert json.loads(edit["private_metadata"])["th"] == "2.1"  # the reply goes to the thread


def test_correct_label_shortcut_opens_relabel_modal(bot: BotHarness) -> None:
    bot.interact(
        message_shortcut(
            "correct_label", text="meh", ts="3.3", response_url=bot.slack.response_url()
        )
    )
    bot.settle()
    assert view_of(bot.slack.calls_to("views.open")[0].params)["callback_id"] == "relabel_submit"


def test_home_for_everyone_and_for_admins(bot: BotHarness) -> None:
    opened = {"type": "app_home_opened", "user": "U0USER", "channel": "D1", "tab": "home"}
    bot.event(opened, event_id="H1")
    bot.settle()
    plain = json.dumps(view_of(bot.slack.calls_to("views.publish")[0].params))
    assert "Watched channels" in plain and "home_retrain" not in plain
    bot.slack.admins.add("U0ADMIN")
    bot.event({**opened, "user": "U0ADMIN"}, event_id="H2")
    bot.settle()
    admin = json.dumps(view_of(bot.slack.calls_to("views.publish")[1].params))
    for part in ("keyword-v1", "Label mix", "Feedback", "Drift", "home_retrain", "home_rollback"):
        assert part in admin


def test_home_buttons_check_admin_rights(bot: BotHarness) -> None:
    bot.interact(
        block_action("home_retrain", response_url=bot.slack.response_url(), user_id="U0PLAIN")
    )
    bot.settle()
    assert bot.retrainer.requests == []
    bot.slack.admins.add("U0ADMIN")
    bot.interact(
        block_action("home_retrain", response_url=bot.slack.response_url(), user_id="U0ADMIN")
    )
    bot.interact(
        block_action(
            "home_channel_settings", response_url=bot.slack.response_url(), user_id="U0ADMIN"
        )
    )
    bot.settle()
    assert bot.retrainer.requests == [("admin", "U0ADMIN")]
    modal = view_of(bot.slack.calls_to("views.open")[0].params)
    assert modal["callback_id"] == "channel_settings_submit"


CHANNEL_SETTINGS = {
    "channel": {"type": "conversations_select", "selected_conversation": "C0SET"},
    "mode": {"type": "static_select", "selected_option": {"value": "tag"}},
    "privacy": {"type": "static_select", "selected_option": {"value": "store_text"}},
    "escalation": {"type": "conversations_select", "selected_conversation": "C0ESC"},
}


def test_channel_settings_modal_saves_and_refreshes_home(bot: BotHarness) -> None:
    bot.slack.admins.add("U0ADMIN")
    bot.slack.answer(
        "conversations.info", {"ok": True, "channel": {"id": "C0ESC", "is_member": True}}
    )
    response = bot.interact(
        view_submission("channel_settings_submit", CHANNEL_SETTINGS, user_id="U0ADMIN")
    )
    assert not response.body  # a plain ack closes the modal
    bot.settle()
    assert bot.slack.calls_to("conversations.info")[0].params["channel"] == "C0ESC"
    stored = repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0SET")
    assert stored is not None and (stored.mode, stored.privacy_mode) == ("tag", "store_text")
    assert stored.escalation_channel == "C0ESC"
    assert bot.slack.calls_to("views.publish")


@pytest.mark.parametrize(
    "program",
    [
        lambda slack: slack.answer(
            "conversations.info", {"ok": True, "channel": {"id": "C0ESC", "is_member": False}}
        ),
        lambda slack: slack.fail("conversations.info", "channel_not_found"),  # private, not in it
    ],
    ids=["public-not-member", "private-not-found"],
)
def test_escalation_channel_the_bot_cannot_post_in_is_refused_in_the_modal(
    bot: BotHarness, program
) -> None:
    bot.slack.admins.add("U0ADMIN")
    program(bot.slack)
    response = bot.interact(
        view_submission("channel_settings_submit", CHANNEL_SETTINGS, user_id="U0ADMIN")
    )
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"escalation"} and "Invite me" in answer["errors"]["escalation"]
    bot.settle()
    assert repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0SET") is None


def test_non_admin_channel_settings_modal_stores_nothing(bot: BotHarness) -> None:
    response = bot.interact(
        view_submission("channel_settings_submit", CHANNEL_SETTINGS, user_id="U0PLAIN")
    )
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors"
    assert "Only workspace admins" in answer["errors"]["channel"]
    bot.settle()
    assert repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0SET") is None
    assert bot.slack.calls_to("conversations.info") == []
