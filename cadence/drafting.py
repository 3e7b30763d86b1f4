"""Drafting an interview summary from notes or a transcript, for the interviewer to review.

One interface (`Drafter`), two drafters: the offline one here (rules, no network, no model:
empty rather than wrong, a JTBD part with no cue stays empty) and a language model in
`bot/drafting.py`, whose answer comes back through `draft_from_answer` or not at all.
Nothing here stores anything: a draft only fills the summary modal.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from cadence.interviews import MAX_INSIGHT, MAX_INSIGHTS, MAX_INTERVIEWEE, MAX_PART
from cadence.models import JTBD_PARTS

MAX_NOTES = 20_000  # characters drafted from, after captions are unwrapped; the rest is cut
MAX_DRAFT_INSIGHTS = 8  # a draft proposes; more than this is a transcript, not insights


@dataclass(frozen=True)
class Notes:
    """Notes as a drafter reads them: captions unwrapped to "Speaker: line", cut to a limit."""

    text: str
    cut: int = 0  # characters left out past the limit


@dataclass(frozen=True)
class Draft:
    """A summary proposed from notes; every field may be empty."""

    interviewee: str = ""
    company: str = ""
    quote: str = ""
    insights: tuple[str, ...] = ()
    parts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    by_model: bool = False
    fallback: str = ""  # why a configured model's draft is not this one: timeout, invalid, error
    cut: int = 0  # characters of the notes not drafted from

    def who(self) -> str:
        """The interviewee field: "Ana Ruiz (Brightline Dental)", either half, or empty."""
        if self.interviewee and self.company:
            return f"{self.interviewee} ({self.company})"[:MAX_INTERVIEWEE]
        return (self.interviewee or self.company)[:MAX_INTERVIEWEE]

    def part_text(self, part: str) -> str:
        return "\n".join(self.parts.get(part, ()))[:MAX_PART]

    def insights_text(self) -> str:
        return "\n".join(self.insights)

    def is_empty(self) -> bool:
        return not (self.who() or self.quote or self.insights or any(self.parts.values()))


class Drafter(Protocol):
    async def draft(self, notes: Notes) -> Draft: ...


class OfflineDrafter:
    """The default drafter: rules over the notes' words."""

    async def draft(self, notes: Notes) -> Draft:
        return draft_offline(notes)


# --- reading notes -------------------------------------------------------------------------

_TIMING = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2})?[.,]\d{3}\s*-->")
_VOICE = re.compile(r"^<v(?:\.[\w.]+)?\s+([^>]+)>(.*?)(?:</v>)?$")
_TAG = re.compile(r"</?[a-z][^>]*>|<\d[\d:.]*>")
_CAPTION_HEADER = re.compile(r"^(?:WEBVTT|NOTE\b|STYLE\b|REGION\b|Kind:|Language:)")
_EMPHASIS = re.compile(r"\*\*|__|^#{1,6}\s+")


def prepare(raw: str, limit: int = MAX_NOTES) -> Notes:
    """Notes, transcript or WebVTT/SRT captions as plain lines, cut at a line near `limit`."""
    text = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = _captions(text.split("\n")) if any(_TIMING.match(x) for x in text.split("\n")) else None
    lines = lines if lines is not None else text.split("\n")
    plain = "\n".join(_EMPHASIS.sub("", line).rstrip() for line in lines).strip()
    if len(plain) <= limit:
        return Notes(plain)
    kept = plain[:limit]
    at = kept.rfind("\n")
    kept = kept[:at] if at > limit // 2 else kept
    return Notes(kept, len(plain) - len(kept))


def _captions(lines: list[str]) -> list[str]:
    """A caption file's cues, one line each, "Speaker: text" where a voice is named."""
    cues: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        stripped = line.strip()
        if not stripped:
            if current:
                cues.append(" ".join(current))
                current = []
        elif _TIMING.match(stripped) or _CAPTION_HEADER.match(stripped):
            continue
        elif stripped.isdigit() and not current:
            continue  # a cue number
        else:
            voice = _VOICE.match(stripped)
            if voice:
                stripped = f"{voice.group(1).strip()}: {voice.group(2)}"
            current.append(_TAG.sub("", stripped).strip())
    return cues


# --- the offline drafter -------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")
_TURN = re.compile(r"^([A-Z][\w.'’ -]{0,30}?(?:\s*\([^)]{1,60}\))?)\s*:\s+(\S.*)$")
_NAME_WORD = r"[A-Z][\w'’-]*[a-zà-ÿ][\w'’-]*"
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
_ORG_WORD = r"(?:[A-Z0-9][\w'’-]*|&|and|of|the)"
_ORG = rf"[A-Z][\w'’-]*(?:\s+{_ORG_WORD})*"
_INTERVIEWERS = {"interviewer", "researcher", "q", "question", "host", "moderator", "me", "pm"}
_ROLES = re.compile(
    r"\b(?:manager|lead|head|owner|founder|director|officer|chef|ceo|coo|cfo|cto|vp|admin"
    r"|engineer|analyst|assistant|partner|president|accountant|consultant)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[A-Z\"“‘(])")
_QUOTED = re.compile(r"[\"“]([^\"“”]{8,400})[\"”]")

# Cues, after the seed article's JTBD definitions (see prompts/drafting.j2 for the model's).
_STRUGGLE = re.compile(
    r"\b(?:took|takes|hard|wasted?|had to|has to|have to|missed|lost|ran out|run out|late|mess"
    r"|chasing|complain\w*|problem|pain|struggl\w*|slow|double-book\w*|falls? apart|quit)\b",
    re.IGNORECASE,
)
_EMOTION = re.compile(
    r"\b(?:frustrat\w*|feel\w*|felt|stress\w*|worr\w*|embarrass\w*|annoy\w*|hate\w*|terrible"
    r"|worst|afraid|scared|anxious|soul-destroying|upset|angry|guilt\w*|sleep better|relie\w+)\b",
    re.IGNORECASE,
)
_ALTERNATIVE = re.compile(
    r"\b(?:instead|tried|trialled|trialed|piloted|used to|looked at|considered"
    r"|switched|gave up|dropped|stopped using)\b|^before\b",
    re.IGNORECASE,
)
_WANT = re.compile(
    r"\b(?:wants?|wanted|need to|needs? (?:to|a|an|one|something)|would like|I'd like|wish)\b",
    re.IGNORECASE,
)
# Wanting not to feel something is a driving force (the article's "wants to avoid feeling").
_AVOID = re.compile(r"\b(?:don't|do not|never) want\b|\bwant to (?:stop|avoid)\b", re.IGNORECASE)
_SO_THAT = re.compile(r",?\s*\b(?:so that|so (?:we|I|they|he|she) can)\b\s*", re.IGNORECASE)
_GOAL = re.compile(r"^(?:goal|success(?: for \w+)? is|the goal is)\s*:?\s*", re.IGNORECASE)
_TOOLS = re.compile(
    r"\b(?:uses?|using|currently|right now|spreadsheets?|excel|paper|whiteboard|notebook"
    r"|e-?mails?|whatsapp|calendar|clipboard|diary|inbox|sticky notes?)\b",
    re.IGNORECASE,
)
_NOISE = re.compile(r"\s*(?:\blol\b|:\(|:\)|!!+|\?\?+)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class _Unit:
    """A bullet, a line or a sentence of prose; its speaker's words when it is a turn."""

    text: str
    bullet: bool


def draft_offline(notes: Notes) -> Draft:
    """A draft by rules: who from the first line or the transcript's speakers, the quote from
    quotation marks, insights and JTBD parts from the sentences carrying their cues."""
    lines = [line.strip() for line in notes.text.split("\n") if line.strip()]
    speakers = _speakers(lines)
    interviewee_label = _interviewee_label(lines, speakers)
    name, company = _who(lines, speakers, interviewee_label)
    units = list(_units(lines, speakers, interviewee_label))
    quote = _quote(lines, speakers, interviewee_label)
    parts: dict[str, list[str]] = {part: [] for part in JTBD_PARTS}
    insights: list[str] = []
    for unit in units:
        for sentence in _sentences(unit.text):
            for part, text in _classify(sentence):
                _add(parts[part], text)
        if _is_insight(unit, quote):
            _add(insights, unit.text)
    return Draft(
        interviewee=name,
        company=company,
        quote=quote,
        insights=tuple(i[:MAX_INSIGHT] for i in insights[: min(MAX_DRAFT_INSIGHTS, MAX_INSIGHTS)]),
        parts={part: tuple(lines) for part, lines in parts.items() if lines},
        cut=notes.cut,
    )


def _speakers(lines: list[str]) -> Counter[str]:
    """Labels of a transcript's turns: a "Label: text" prefix seen on two lines or more."""
    labels = Counter(m.group(1).strip() for line in lines if (m := _TURN.match(line)))
    return Counter({label: n for label, n in labels.items() if n >= 2})


def _interviewee_label(lines: list[str], speakers: Counter[str]) -> str:
    """The speaker who talks most, of those not named as the interviewer."""
    words: Counter[str] = Counter()
    for line in lines:
        m = _TURN.match(line)
        if m and m.group(1).strip() in speakers and not _is_interviewer(m.group(1)):
            words[m.group(1).strip()] += len(m.group(2).split())
    return words.most_common(1)[0][0] if words else ""


def _turn_of(line: str, speakers: Counter[str]) -> re.Match[str] | None:
    """The line as a transcript's turn, if its label is one of the speakers."""
    turn = _TURN.match(line)
    return turn if turn and turn.group(1).strip() in speakers else None


def _is_heading(line: str, speakers: Counter[str]) -> bool:
    """A first line that may name the interviewee: not a turn, nor the interviewer's question."""
    turn = _TURN.match(line)
    said_by_interviewer = bool(turn and _is_interviewer(turn.group(1)))
    return not (_turn_of(line, speakers) or said_by_interviewer or line.endswith("?"))


def _is_interviewer(label: str) -> bool:
    return label.strip().lower() in _INTERVIEWERS


def _who(lines: list[str], speakers: Counter[str], label: str) -> tuple[str, str]:
    """(name, company) from a first line such as "Interview with Ana (Acme)", else from the
    interviewee's speaker label and their first words."""
    name, company = _header(lines[0]) if lines and _is_heading(lines[0], speakers) else ("", "")
    if not label:
        return name, company
    said = [m.group(2) for line in lines if (m := _TURN.match(line)) and m.group(1) == label][:2]
    spoken, _, in_label = label.partition("(")
    spoken = spoken.strip()
    spoken = spoken.title() if spoken.isupper() else spoken
    spoken = spoken if re.fullmatch(_NAME, spoken) else ""
    intro = next((m.group(1) or m.group(2) for s in said if (m := _INTRO.search(s))), "")
    if intro and spoken and not intro.startswith(spoken):
        intro = ""  # "Sure, I'm Tom" said by "Tom Becker": the label knows better
    for candidate in (spoken, intro):
        if candidate and (not name or candidate.startswith(name)) and len(candidate) > len(name):
            name = candidate
    company = company or in_label.rstrip(") ").strip()
    if not company:
        company = next((m.group(1) for s in said if (m := _WORKS_AT.search(s))), "")
    return name, _trim_org(company)


_INTRO = re.compile(  # "Ben Carter, general manager at …" or "I'm Tom, finance lead …"
    rf"^({_NAME_WORD}\s+{_NAME_WORD}),"
    rf"|\b(?:I'm|I am|my name is) ({_NAME})(?=,| and\b| from\b| at\b)"
)
_WORKS_AT = re.compile(rf"\b(?:at|for|from|@)\s+({_ORG})")
_HEADER_NAME = re.compile(rf"(?:\bwith|\bw/|—|–|\s-|:)\s+({_NAME})")


def _header(line: str) -> tuple[str, str]:
    """Name and company of a heading line; either empty when the line does not say."""
    m = _HEADER_NAME.search(line)
    if not m:
        return "", ""
    name, rest = m.group(1), line[m.end() :]
    if paren := re.match(rf"\s*\(({_ORG})\s*[,)]", rest):
        return name, _trim_org(paren.group(1))
    if at := re.match(rf"\s*(?:@|from|at)\s+({_ORG})", rest):
        return name, _trim_org(at.group(1))
    for segment in re.split(r",", re.split(r"[(.]", rest, maxsplit=1)[0])[1:]:
        segment = segment.strip()
        if role_at := re.search(rf"\b(?:at|of|for)\s+({_ORG})", segment):
            return name, _trim_org(role_at.group(1))
        if re.fullmatch(_ORG, segment) and not _ROLES.search(segment):
            return name, _trim_org(segment)
    return name, ""


def _trim_org(org: str) -> str:
    return re.sub(r"(?:\s+(?:&|and|of|the))+$", "", org.strip())


def _units(lines: list[str], speakers: Counter[str], label: str):
    """What the interviewee said or the notes say: bullets and lines as they are, prose
    paragraphs by sentence; the heading line and the interviewer's turns left out."""
    for i, line in enumerate(lines):
        turn = _turn_of(line, speakers)
        if turn:
            if turn.group(1).strip() != label:
                continue
            line = turn.group(2)
        elif i == 0 and _is_heading(line, speakers) and _header(line)[0]:
            continue
        bullet = bool(_BULLET.match(line))
        text = _clean(_BULLET.sub("", line))
        if not text:
            continue
        if bullet:
            yield _Unit(text, bullet)
        else:
            yield from (_Unit(s, False) for s in _sentences(text))


def _clean(text: str) -> str:
    return _NOISE.sub(" ", text).strip(" \t-–—")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _classify(sentence: str) -> list[tuple[str, str]]:
    """The JTBD parts a sentence belongs to, with the words that go there: a "want … so that
    …" sentence gives its motivation and its desired outcome; otherwise one part, the first
    whose cue it carries, in this order."""
    if goal := _GOAL.match(sentence):
        return [("desired_outcomes", sentence[goal.end() :])]
    if _ALTERNATIVE.search(sentence):
        return [("alternative_solutions", sentence)]
    if _AVOID.search(sentence) or (_EMOTION.search(sentence) and not _WANT.search(sentence)):
        return [("driving_forces", sentence)]
    if _WANT.search(sentence):
        want, outcome = [*_SO_THAT.split(sentence, maxsplit=1), ""][:2]
        found = [("motivations", want.rstrip(" ,"))]
        return [*found, ("desired_outcomes", outcome)] if outcome else found
    if _EMOTION.search(sentence):
        return [("driving_forces", sentence)]
    if _STRUGGLE.search(sentence):
        return [("struggling_moments", sentence)]
    if _TOOLS.search(sentence):
        return [("existing_solutions", sentence)]
    return []


def _is_insight(unit: _Unit, quote: str) -> bool:
    """A pain, a goal or a workaround; not a question, nor the quote on its own."""
    text = unit.text
    if text.endswith("?") or (quote and _words(text) <= _words(quote) | _SAID):
        return False
    if _AVOID.search(text) or (_EMOTION.search(text) and not _STRUGGLE.search(text)):
        return False  # a feeling: a driving force, not something learned
    return any(cue.search(text) for cue in (_STRUGGLE, _ALTERNATIVE, _WANT, _TOOLS))


_SAID = {"she", "he", "said", "they", "says"}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def _add(found: list[str], text: str) -> None:
    text = text.strip(" ,;:")
    if text and text not in found:
        found.append(text[:1].upper() + text[1:])


def _quote(lines: list[str], speakers: Counter[str], label: str) -> str:
    """The most quotable words inside quotation marks (not the interviewer's), else none:
    first person and feelings count, so does a length that reads as a sentence."""
    candidates: list[str] = []
    for line in lines:
        turn = _turn_of(line, speakers)
        if turn and turn.group(1).strip() != label:
            continue
        candidates += [m.group(1).strip(" ,") for m in _QUOTED.finditer(line)]
    candidates = [c for c in candidates if len(c.split()) >= 3]
    if not candidates:
        return ""
    return max(candidates, key=_quotable)[:MAX_PART]


def _quotable(text: str) -> int:
    words = _words(text)
    first_person = bool(words & {"i", "we", "my", "our", "i'm", "we're", "me", "us"})
    return 2 * first_person + bool(_EMOTION.search(text)) + (5 <= len(text.split()) <= 30)


# --- a model's answer ----------------------------------------------------------------------

# Types and keys only: strict structured outputs refuse size keywords such as maxLength, so
# sizes are the reader's to cut (to the summary's own limits).
_LINES = {"type": "array", "items": {"type": "string"}}
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "interviewee": {"type": "string"},
        "company": {"type": "string"},
        "quote": {"type": "string"},
        "insights": _LINES,
        **{part: _LINES for part in JTBD_PARTS},
    },
    "required": ["interviewee", "company", "quote", "insights", *JTBD_PARTS],
    "additionalProperties": False,
}


class InvalidAnswer(ValueError):
    """A model's answer that does not fit ANSWER_SCHEMA."""


def draft_from_answer(answer: object, notes: Notes) -> Draft:
    """A model's structured answer as a draft: checked against ANSWER_SCHEMA (every key, no
    other, each of its type), then cut to the summary's limits."""
    if not isinstance(answer, dict) or set(answer) != set(ANSWER_SCHEMA["required"]):
        raise InvalidAnswer("not the schema's keys")
    for key, rule in ANSWER_SCHEMA["properties"].items():
        value = answer[key]
        items = value if rule["type"] == "array" and isinstance(value, list) else [value]
        if (rule["type"] == "array") != isinstance(value, list):
            raise InvalidAnswer(key)
        if any(not isinstance(item, str) for item in items):
            raise InvalidAnswer(key)

    def lines(key: str, count: int, length: int) -> tuple[str, ...]:
        return tuple(s.strip()[:length] for s in answer[key] if s.strip())[:count]

    parts = {part: lines(part, MAX_INSIGHTS, MAX_INSIGHT) for part in JTBD_PARTS}
    return Draft(
        interviewee=answer["interviewee"].strip()[:MAX_INTERVIEWEE],
        company=answer["company"].strip()[:MAX_INTERVIEWEE],
        quote=answer["quote"].strip()[:MAX_PART],
        insights=lines("insights", MAX_INSIGHTS, MAX_INSIGHT),
        parts={part: found for part, found in parts.items() if found},
        by_model=True,
        cut=notes.cut,
    )


def fell_back(notes: Notes, why: str) -> Draft:
    """The offline draft, marked with why the model's was not used."""
    return replace(draft_offline(notes), fallback=why)
