"""Unpostable drafts: each check on drafts an agent would have to rewrite, and on ones they
would post as they are."""

from __future__ import annotations

import pytest

from training.generator.draft_checks import CHECKS, failure_rates, unpostable_reasons

MESSAGE = "I was charged $40 twice for order 12345, please fix this"


@pytest.mark.parametrize(
    ("draft", "sources", "reasons"),
    [
        ("Sorry about the double charge, we will refund it today.", [MESSAGE], []),
        ("We refunded $40 for order #12345.", [MESSAGE], []),  # quoted from the message
        ("Call {{Customer Support Phone Number}} or see {{Website URL}}.", [MESSAGE], []),
        ("Your refund arrives in 5-7 business days.", [MESSAGE], []),  # small numbers are fine
        ("", [MESSAGE], ["empty"]),
        ("  {{Customer Name}}  ", [MESSAGE], ["empty"]),
        ("Call us at 555-201-7788.", [MESSAGE], ["invented_contact"]),
        ("Write to refunds@shop-help.com", [MESSAGE], ["invented_contact"]),
        ("See www.shop-help.com/refunds", [MESSAGE], ["invented_contact"]),
        ("Mail help@shop.com", [MESSAGE, "Reach us at help@shop.com"], []),  # from grounding
        ("We refunded $45 to your card.", [MESSAGE], ["invented_number"]),
        ("Your new order 98765 ships Monday.", [MESSAGE], ["invented_number"]),
        ("As an AI language model, I cannot see your order.", [MESSAGE], ["ai_talk"]),
        ("I'm just an assistant, but here is what to do.", [MESSAGE], ["ai_talk"]),
        (
            "We are sorry for the trouble. We will fix it. We are sorry for the trouble.",
            [MESSAGE],
            ["repetition"],
        ),
        ("please please please please please please please please please", [], ["repetition"]),
        ("Спасибо, мы вернём деньги за заказ.", [MESSAGE], ["wrong_language"]),
    ],
)
def test_checks(draft: str, sources: list[str], reasons: list[str]) -> None:
    assert unpostable_reasons(draft, sources) == reasons


def test_failure_rates_count_each_check_and_any() -> None:
    drafts = ["", "Call 555-201-7788 as an AI would", "Happy to help with the refund."]
    rates = failure_rates(drafts, [[MESSAGE]] * 3)
    assert set(rates) == {*CHECKS, "unpostable"}
    assert rates["empty"] == pytest.approx(33.33)
    assert rates["invented_contact"] == rates["ai_talk"] == pytest.approx(33.33)
    assert rates["unpostable"] == pytest.approx(66.67)
    with pytest.raises(ValueError):
        failure_rates(drafts, [[MESSAGE]])
