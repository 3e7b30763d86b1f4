"""End to end: a summary drafted from notes, by its three ways in (the message shortcut, Paste
notes atop the summary, a file shared in a DM), opened at once and filled by views.update with
the view's hash; a model's draft, and the offline one when the model fails; a long transcript."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ids import Action, Input, Shortcut, View
from bot.sandbox.fake_llm import API_KEY, MODEL, FakeLLM, answer_of
from bot.sandbox.fake_slack import BOT_TOKEN, FakeSlack
from bot.sandbox.requests import SlackSender, block_action, message_shortcut, view_submission
from tests.conftest import Server, fresh_database, running_server
from tests.flows import block, dm, open_question, rows

NOTES = Path(__file__).parent / "data" / "notes"


def user_of(team: str) -> str:
    return "U" + team[1:]


def drafted_view(slack: FakeSlack, view_id: str) -> dict:
    """The summary as the draft filled it: the views.update of that view that is no longer
    "Drafting…"."""
    return slack.wait_where(
        "views.update",
        lambda a: a["view_id"] == view_id and "Drafting" not in json.dumps(a["view"]["blocks"]),
    ).args["view"]


def value(view: dict, block_id: str) -> str:
    return block(view, block_id)["element"].get("initial_value", "")


def note(view: dict) -> str:
    """The line atop the summary about its draft."""
    return next(b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context")


def shortcut(sender: SlackSender, slack: FakeSlack, user: str, text: str) -> dict:
    """The message shortcut on `text`: the summary as it opened (with its id and hash)."""
    payload = message_shortcut(
        Shortcut.LOG_FROM_MESSAGE,
        text,
        user=user,
        team=sender.team,
        response_url=slack.response_url(),
    )
    assert sender.interaction(payload).status == 200
    call = slack.wait_where("views.open", lambda a: a["trigger_id"] == payload["trigger_id"])
    return call.result["view"]


def interviews_of(server: Server, team: str) -> list[dict]:
    return rows(server, "SELECT * FROM interview WHERE team_id=:t", t=team)


def test_the_shortcut_drafts_the_whole_summary_and_nothing_is_stored_before_save(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    user = user_of(sender.team)
    open_question(sender, slack, "Why do expense claims stall?", user=user)
    shown = shortcut(sender, slack, user, (NOTES / "d01_expense_bullets.md").read_text())
    assert "Drafting from your notes" in note(shown)
    assert value(shown, Input.QUOTE) == ""
    view = drafted_view(slack, shown["id"])
    update = slack.wait_where("views.update", lambda a: a["view_id"] == shown["id"]).args
    assert update["hash"] == shown["hash"]  # the view as it opened, not one changed since
    assert value(view, Input.INTERVIEWEE) == "Ana Ruiz (Brightline Dental)"
    assert value(view, Input.QUOTE).startswith("I'm not an accountant")
    assert value(view, "motivations") == "Wants the accountant to get a clean export"
    assert "Month-end close takes her two full days" in value(view, Input.INSIGHTS)
    assert "simple rules" in note(view) and "nothing is stored" in note(view)
    assert interviews_of(server, sender.team) == []
    question = str(rows(server, "SELECT id FROM question WHERE team_id=:t", t=sender.team)[0]["id"])
    submitted = view_submission(view, {Input.QUESTION: question}, user=user, team=sender.team)
    assert sender.interaction(submitted).status == 200
    (stored,) = interviews_of(server, sender.team)
    assert stored["interviewee"] == "Ana Ruiz (Brightline Dental)"
    assert stored["desired_outcomes"] == "The books close by the 5th"


def test_a_person_who_changed_the_modal_is_not_overwritten(
    sender: SlackSender, slack: FakeSlack
) -> None:
    user = user_of(sender.team)
    open_question(sender, slack, "Why do expense claims stall?", user=user)
    slack.delays["users.info"] = 1.0  # the zone lookup after the open: time to change it
    shown = shortcut(sender, slack, user, "- Closing the month took two days")
    slack.touch(shown["id"])  # the person changed the view: its hash moved on
    refused = slack.wait_where("views.update:refused", lambda a: a["view_id"] == shown["id"])
    assert refused.result == {"ok": False, "error": "hash_conflict"}
    assert not [c for c in slack.of("views.update") if c.args["view_id"] == shown["id"]]


def test_paste_notes_fills_the_summary_and_keeps_what_was_typed(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    user = user_of(sender.team)
    open_question(sender, slack, "Why do restaurants over-order?", user=user)
    request = sender.command("log #1", user=user)
    opened = slack.wait_one("views.open", trigger_id=request.trigger_id).result["view"]
    assert "Drafting" not in json.dumps(opened["blocks"])
    typed = view_submission(opened, {Input.QUOTE: "My own quote"}, user=user, team=sender.team)
    summary = {**typed["view"], "id": opened["id"], "hash": opened["hash"]}
    press = block_action(Action.PASTE_NOTES, user=user, team=sender.team, view=summary)
    assert sender.interaction(press).status == 200
    pushed = slack.wait_where("views.push", lambda a: a["trigger_id"] == press["trigger_id"])
    paste = pushed.args["view"]
    assert paste["callback_id"] == View.PASTE_NOTES
    assert block(paste, Input.NOTES)["element"]["max_length"] == 3000
    notes = (NOTES / "d06_restaurant_slack.txt").read_text()
    answer = sender.interaction(
        view_submission(paste, {Input.NOTES: notes}, user=user, team=sender.team)
    )
    assert answer.status == 200 and not answer.body  # back to the summary below
    view = drafted_view(slack, opened["id"])
    assert value(view, Input.INTERVIEWEE) == "Dev (Saffron Street)"
    assert value(view, Input.QUOTE) == "My own quote"  # typed before pasting: kept
    assert "Tried marketman" in value(view, "alternative_solutions")
    assert block(view, Input.QUESTION)["element"]["initial_option"]["text"]["text"].startswith("#1")
    assert interviews_of(server, sender.team) == []


def share(
    sender: SlackSender, user: str, file_id: str, channel: str = "", event_id: str | None = None
) -> None:
    event = {
        "type": "file_shared",
        "file_id": file_id,
        "user_id": user,
        "file": {"id": file_id},
        "channel_id": channel or "D" + user[1:],
        "event_ts": "1700000000.000200",
    }
    assert sender.event(event, event_id=event_id).status == 200


def test_a_transcript_shared_in_a_dm_is_offered_then_drafted(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    user = user_of(sender.team)
    open_question(sender, slack, "Why do drivers wait for expenses?", user=user)
    file_id = "F" + sender.team[1:]
    slack.add_file(file_id, "tom.vtt", (NOTES / "d04_expense_vtt.vtt").read_bytes(), "vtt")
    slack.add_file(file_id + "X", "photo.png", b"\x89PNG", "png")
    share(sender, user, file_id + "X")  # not notes: no answer
    share(sender, user, file_id, channel="C" + user[1:])  # not a DM: no answer
    share(sender, user, file_id)
    offer = dm(slack, user, "tom.vtt")
    (button,) = offer["blocks"][1]["elements"]
    assert (button["action_id"], button["value"]) == (Action.DRAFT_FROM_FILE, file_id)
    assert [
        c.args["channel"] for c in slack.of("chat.postMessage") if "png" in c.args["text"]
    ] == []
    press = block_action(Action.DRAFT_FROM_FILE, file_id, user=user, team=sender.team)
    assert sender.interaction(press).status == 200
    shown = slack.wait_where("views.open", lambda a: a["trigger_id"] == press["trigger_id"])
    view = drafted_view(slack, shown.result["view"]["id"])
    assert value(view, Input.INTERVIEWEE) == "Tom Becker (Northwind Logistics)"
    assert "We piloted company fuel cards instead" in value(view, "alternative_solutions")
    download = slack.wait_where("file_download", lambda a: a["file"] == file_id)
    assert download.token == BOT_TOKEN
    assert interviews_of(server, sender.team) == []


def test_a_file_event_slack_sends_again_is_answered_once(
    sender: SlackSender, slack: FakeSlack
) -> None:
    user = user_of(sender.team)
    file_id = "F" + sender.team[1:]
    slack.add_file(file_id, "again.md", b"- It took two days")
    share(sender, user, file_id, event_id="Ev" + file_id)
    dm(slack, user, "again.md")
    share(sender, user, file_id, event_id="Ev" + file_id)  # Slack's retry: nothing
    sender.command("help", user=user)  # a later request, to know the retry was handled
    slack.wait_where("response_url", lambda a: "discovery" in a.get("text", ""))
    slack.add_file(file_id + "B", "later.md", b"- It took two days")
    share(sender, user, file_id + "B")  # and a later file, answered after it
    dm(slack, user, "later.md")
    assert len([c for c in slack.of("chat.postMessage") if "again.md" in c.args["text"]]) == 1


def test_a_long_transcript_is_cut_and_the_person_told(
    sender: SlackSender, slack: FakeSlack
) -> None:
    user = user_of(sender.team)
    open_question(sender, slack, "Why do drivers wait for expenses?", user=user)
    turn = "Interviewer: And then?\nTom: It took weeks to get the money back, again.\n"
    long = ("Interview with Tom Becker (Northwind Logistics)\n" + turn * 800).encode()
    file_id = "F" + sender.team[1:]
    slack.add_file(file_id, "long.txt", long)
    press = block_action(Action.DRAFT_FROM_FILE, file_id, user=user, team=sender.team)
    assert sender.interaction(press).status == 200
    shown = slack.wait_where("views.open", lambda a: a["trigger_id"] == press["trigger_id"])
    view = drafted_view(slack, shown.result["view"]["id"])
    assert "only the first 20,000 characters were read" in note(view)
    assert value(view, Input.INTERVIEWEE) == "Tom Becker (Northwind Logistics)"
    assert not slack.violations  # the filled view within Slack's limits


# --- with a language model configured ---------------------------------------------------


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    fake = FakeLLM().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def model_server(
    fake: FakeSlack, llm: FakeLLM, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("model")
    model = {
        "LLM_BASE_URL": llm.base_url,
        "LLM_MODEL": MODEL,
        "LLM_API_KEY": API_KEY,
        "LLM_TIMEOUT": "2",
    }
    with (
        fresh_database(workdir) as url,
        running_server(fake, workdir, "--no-scheduler", database_url=url, settings=model) as s,
    ):
        yield s


@pytest.fixture
def model_sender(model_server: Server, slack: FakeSlack, team: str, llm: FakeLLM) -> SlackSender:
    llm.reset()
    return SlackSender(model_server.url, slack.response_url, team=team)


def test_the_model_drafts_when_configured(
    model_sender: SlackSender, slack: FakeSlack, llm: FakeLLM, model_server: Server
) -> None:
    user = user_of(model_sender.team)
    llm.answer = answer_of(
        interviewee="Ana Ruiz",
        company="Brightline Dental",
        insights=["Chasing receipts takes two days a month"],
        driving_forces=["Doesn't want to be the receipt police"],
    )
    open_question(model_sender, slack, "Why do claims stall?", user=user)
    shown = shortcut(model_sender, slack, user, (NOTES / "d01_expense_bullets.md").read_text())
    view = drafted_view(slack, shown["id"])
    assert value(view, "driving_forces") == "Doesn't want to be the receipt police"
    assert "language model" in note(view) and "rules drafted" not in note(view)
    (request,) = [r for r in llm.requests if "Brightline" in json.dumps(r["body"])]
    assert request["headers"]["authorization"] == f"Bearer {API_KEY}"
    assert not llm.violations, llm.violations
    assert API_KEY not in model_server.log.read_text()


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("failing", "could not be reached"),
        ("invalid", "was not a summary"),
        ("slow", "did not answer in time"),
    ],
)
def test_a_failing_model_falls_back_to_the_offline_draft_and_says_so(
    model_sender: SlackSender,
    slack: FakeSlack,
    llm: FakeLLM,
    model_server: Server,
    mode: str,
    said: str,
) -> None:
    user = user_of(model_sender.team)
    llm.mode, llm.delay = mode, 4.0
    open_question(model_sender, slack, "Why do claims stall?", user=user)
    shown = shortcut(model_sender, slack, user, (NOTES / "d06_restaurant_slack.txt").read_text())
    view = drafted_view(slack, shown["id"])
    assert said in note(view) and "simple rules" in note(view)
    assert value(view, Input.QUOTE) == "every monday is a guessing game"  # the offline draft
    assert API_KEY not in model_server.log.read_text()
