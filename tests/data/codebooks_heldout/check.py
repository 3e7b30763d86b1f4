"""Check the held-out codebooks against the rules in README.md; print every violation.

Run: python3 tests/data/codebooks_heldout/check.py   (exit status 1 if anything is wrong)

Words: lowercase, apostrophes dropped ("can't" -> "cant"), split on anything that is not a
letter or digit; stopwords, one-letter tokens and tokens without a letter are ignored, and a
final plural "s" is dropped from words of 4+ letters ("runners" == "runner", not "ss").
What is left are the content words the overlap rules count: a paraphrase shares at most one
with its theme's label + insights, a new insight at least two with its "near" theme's.
"""

import json
import re
import sys
from pathlib import Path

STOPWORDS = {
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "cant",
    "could",
    "couldnt",
    "did",
    "didnt",
    "do",
    "does",
    "doesnt",
    "doing",
    "dont",
    "down",
    "during",
    "each",
    "either",
    "else",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "had",
    "hadnt",
    "has",
    "hasnt",
    "have",
    "havent",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "id",
    "if",
    "ill",
    "im",
    "in",
    "into",
    "is",
    "isnt",
    "it",
    "its",
    "itself",
    "ive",
    "just",
    "let",
    "lets",
    "me",
    "more",
    "most",
    "much",
    "my",
    "myself",
    "neither",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "per",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "thats",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "theres",
    "these",
    "they",
    "theyd",
    "theyre",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "was",
    "wasnt",
    "we",
    "wed",
    "were",
    "werent",
    "weve",
    "what",
    "whats",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "without",
    "wont",
    "would",
    "wouldnt",
    "you",
    "youd",
    "youll",
    "your",
    "youre",
    "yours",
    "yourself",
    "get",
    "gets",
    "got",
    "getting",
    "really",
    "still",
    "even",
    "always",
    "never",
    "already",
    "yet",
    "one",
    "thing",
    "things",
    "lot",
    "lots",
    "way",
    "etc",
    "eg",
    "ie",
    "via",
    "arent",
    "mine",
}

THEMES, PARAPHRASES, NEW = 25, 40, 40
MIN_THEMES_PARAPHRASED = 20


def words(text: str) -> set[str]:
    tokens = re.findall(r"[a-z0-9]+", text.lower().replace("'", "").replace("\u2019", ""))
    out = set()
    for t in tokens:
        if t in STOPWORDS or len(t) < 2 or not re.search(r"[a-z]", t):
            continue
        if len(t) > 3 and t.endswith("s") and not t.endswith("ss"):
            t = t[:-1]
        out.add(t)
    return out


def check(path: Path) -> list[str]:
    book = json.loads(path.read_text())
    bad = []
    for key in ("product", "kind", "question", "themes", "probes"):
        if not book.get(key):
            bad.append(f"missing {key}")
    themes = {t["id"]: t for t in book["themes"]}
    if len(book["themes"]) != THEMES or len(themes) != THEMES:
        bad.append(f"{len(book['themes'])} themes ({len(themes)} distinct ids), want {THEMES}")
    vocab = {}
    for t in book["themes"]:
        if len(t["insights"]) != 2:
            bad.append(f"theme {t['id']}: {len(t['insights'])} insights, want 2")
        vocab[t["id"]] = words(" ".join([t["label"], *t["insights"]]))

    paraphrases = [p for p in book["probes"] if p["theme"] is not None]
    new = [p for p in book["probes"] if p["theme"] is None]
    if len(paraphrases) != PARAPHRASES:
        bad.append(f"{len(paraphrases)} paraphrase probes, want {PARAPHRASES}")
    if len(new) != NEW:
        bad.append(f"{len(new)} new-insight probes, want {NEW}")
    texts = [p["text"] for p in book["probes"]]
    for dup in sorted({t for t in texts if texts.count(t) > 1}):
        bad.append(f"duplicate probe: {dup!r}")

    for p in paraphrases:
        if p["theme"] not in themes:
            bad.append(f"unknown theme {p['theme']!r}: {p['text']!r}")
            continue
        shared = words(p["text"]) & vocab[p["theme"]]
        if len(shared) > 1:
            bad.append(f"paraphrase shares {sorted(shared)} with {p['theme']}: {p['text']!r}")
    covered = {p["theme"] for p in paraphrases}
    if len(covered) < MIN_THEMES_PARAPHRASED:
        bad.append(f"paraphrases cover {len(covered)} themes, want {MIN_THEMES_PARAPHRASED}+")

    for p in new:
        near = p.get("near")
        if near not in themes:
            bad.append(f"new insight without a valid near ({near!r}): {p['text']!r}")
            continue
        shared = words(p["text"]) & vocab[near]
        if len(shared) < 2:
            bad.append(f"new insight shares only {sorted(shared)} with {near}: {p['text']!r}")
    return bad


def main() -> int:
    failed = False
    for path in sorted(Path(__file__).parent.glob("*.json")):
        bad = check(path)
        failed |= bool(bad)
        print(f"{path.name}: {'ok' if not bad else f'{len(bad)} violation(s)'}")
        for line in bad:
            print("  " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
