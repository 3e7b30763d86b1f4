"""Words: user text is escaped for mrkdwn exactly once; plain text is left alone."""

from __future__ import annotations

from types import SimpleNamespace

from bot import words


def test_mrkdwn_escapes_only_the_three_characters() -> None:
    assert (
        words.escape_mrkdwn("<!here> & 'quotes' \"too\"") == "&lt;!here&gt; &amp; 'quotes' \"too\""
    )


def test_templates_escape_values_but_keep_their_own_markup() -> None:
    q = SimpleNamespace(
        number=4, text="<@U1> & co", owner_id="U2", status="answered", conclusion=""
    )
    text = words.say("questions.closed", q=q)
    assert text.startswith(":checkered_flag: *#4* is answered: &lt;@U1&gt; &amp; co")


def test_nested_macros_are_not_escaped_twice() -> None:
    q = SimpleNamespace(number=1, text="a & b")
    text = words.say("questions.which", verb="close", candidates=[q])
    assert "*#1* a &amp; b" in text and "&amp;amp;" not in text


def test_plain_text_is_not_escaped() -> None:
    assert words.plain("segments.name", segment="superstars") == "Superstars (best customers)"


def test_bidi_controls_in_user_text_cannot_reorder_the_apps_words() -> None:
    from bot import words

    shown = words.say("questions.ref", q=type("Q", (), {"number": 1, "text": "Acme\u202eevil"})())
    assert "\u202e" not in shown and "Acmeevil" in shown
