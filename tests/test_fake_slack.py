"""The fake must catch what real Slack would refuse, or the payload checks prove nothing."""

from __future__ import annotations

import urllib.request

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from bot.sandbox.fake_slack import BOT_TOKEN, FakeSlack


def client(fake: FakeSlack, token: str = BOT_TOKEN) -> WebClient:
    return WebClient(token=token, base_url=fake.api_url)


def test_wrong_token_is_invalid_auth(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError, match="invalid_auth"):
        client(slack, "xoxb-wrong").auth_test()


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51,
        [{"type": "no_such_block"}],
    ],
    ids=["long-section", "long-header", "51-blocks", "unknown"],
)
def test_messages_over_block_kit_limits_are_refused(slack: FakeSlack, blocks: list) -> None:
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client(slack).chat_postMessage(channel="C1", text="t", blocks=blocks)
    assert slack.violations
    slack.violations.clear()


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"title": {"type": "plain_text", "text": "A title far too long for Slack"}}, "title"),
        ({"private_metadata": "m" * 3001}, "private_metadata"),
        ({"blocks": [{"type": "divider"}] * 101}, "blocks"),
    ],
    ids=["title", "private_metadata", "101-blocks"],
)
def test_views_over_limits_are_refused(slack: FakeSlack, change: dict, complaint: str) -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "New question"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
        **change,
    }
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client(slack).views_open(trigger_id="t", view=view)
    assert any(complaint in v for v in slack.violations), slack.violations
    slack.violations.clear()


def test_a_method_can_be_made_to_rate_limit(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as e:
        client(slack).chat_postMessage(channel="C1", text="t")
    assert e.value.response.status_code == 429
    assert e.value.response.headers["Retry-After"] == "7"
    assert client(slack).chat_postMessage(channel="C1", text="t")["ok"]


def test_a_view_update_with_an_old_hash_is_a_hash_conflict(slack: FakeSlack) -> None:
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Summary"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
    }
    opened = client(slack).views_open(trigger_id="t", view=modal)["view"]
    updated = client(slack).views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    assert updated["view"]["id"] == opened["id"] and updated["view"]["hash"] != opened["hash"]
    with pytest.raises(SlackApiError, match="hash_conflict"):  # the view changed since
        client(slack).views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    slack.touch(opened["id"])
    with pytest.raises(SlackApiError, match="hash_conflict"):
        client(slack).views_update(view_id=opened["id"], hash=updated["view"]["hash"], view=modal)
    assert client(slack).views_update(view_id=opened["id"], view=modal)["ok"]  # no hash: forced


def test_calls_are_found_by_what_names_them_not_by_their_place(slack: FakeSlack) -> None:
    """A test names the reply it means: by whom it is for, the request it answers (its
    response_url), or the workspace whose token sent it; a filter matching two is refused."""
    slack.installed["xoxb-TA"] = "TA"
    client(slack).chat_postMessage(channel="UANN", text="for Ann")
    client(slack, "xoxb-TA").chat_postMessage(channel="UBOB", text="for Bob")
    mine, other = slack.response_url(), slack.response_url()
    for url, text in ((other, "not this one"), (mine, "this one")):
        assert urllib.request.urlopen(urllib.request.Request(url, data=b"text=" + text.encode()))
    assert slack.wait_one("chat.postMessage", user="UANN").args["text"] == "for Ann"
    assert slack.wait_one("chat.postMessage", team="TA").args["text"] == "for Bob"
    assert slack.wait_one("response_url", response_url=mine).args["text"] == "this one"
    assert slack.calls_where("chat.postMessage", user="UANN", after=len(slack.calls)) == []
    with pytest.raises(AssertionError, match=r"2 chat\.postMessage calls"):
        slack.wait_one("chat.postMessage")
