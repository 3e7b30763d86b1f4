"""Each theme's vectors, kept: what the matcher compares a new insight with (its name and
latest insights, embedded) is stored per theme and rebuilt when that theme's coding changes,
so that a summary embeds only its own lines, not every theme of the question again.

The vectors depend on the question's IDF (cadence.matching.Weights), fitted on its themes'
texts and kept with them (`QuestionKept`): a theme rebuilt later uses the same fit. Once the
texts changed since the fit pass a share of them (REFIT), it is fitted again and every theme
rebuilt: by `sync` itself for a small question (INLINE), else by `refresh` (0.7 s at 300
themes: the app does it after answering Slack, not before).
`sync` brings a question's vectors in step with its coding (`interviews.settle` and the
codebook's changes call it, in their transaction); `themes` gives them, synced first.
They are the default matcher's (`default_matcher`: the app's).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col

from cadence import interviews
from cadence.matching import Frequencies, ThemeVectors, Weights, default_matcher
from cadence.models import Insight, QuestionKept, Theme, ThemeKept

REFIT = 0.25  # refit the IDF once this share of the texts it was fitted on has changed
INLINE = 200  # below this many texts, sync refits at once (tens of ms), not `refresh` later
KEPT = ThemeKept.__table__  # read and written past the ORM: a theme id can come back on SQLite
FIT = QuestionKept.__table__

# Decoded vectors and fits, by the hash of their bytes (`stamp`, `fitted`): a summary reads
# the bytes only of what changed since this process last read them. About 30 KB a theme at
# 20 insights; CACHED themes at most.
CACHED = 3000
_themes: OrderedDict[int, tuple[int, ThemeVectors]] = OrderedDict()  # theme -> stamp, vectors
_fits: OrderedDict[int, tuple[int, Weights]] = OrderedDict()  # question -> fitted, IDF
_lock = threading.Lock()


def themes(
    s: Session, team_id: str, question_id: int
) -> tuple[list[tuple[int, ThemeVectors]], Weights]:
    """The question's themes (by id) with their kept vectors, and the IDF of them."""
    _, weights = sync(s, team_id, question_id)
    keys = dict(
        s.execute(
            sa.select(KEPT.c.theme_id, KEPT.c.stamp)
            .where(KEPT.c.team_id == team_id, KEPT.c.question_id == question_id)
            .order_by(KEPT.c.theme_id)
        ).all()
    )
    with _lock:
        found = {t: _themes[t][1] for t, key in keys.items() if _themes.get(t, (None,))[0] == key}
    missing = [t for t in keys if t not in found]
    if missing:
        rows = s.execute(sa.select(KEPT).where(KEPT.c.theme_id.in_(missing)))
        read = {row.theme_id: _vectors(row) for row in rows}
        found.update(read)
        with _lock:
            for t, vectors in read.items():
                _remember(_themes, t, (keys[t], vectors), CACHED)
    return [(t, found[t]) for t in keys], weights


def _remember(cache: OrderedDict, key: object, value: object, most: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > most:
        cache.popitem(last=False)


def sync(s: Session, team_id: str, question_id: int) -> tuple[int, Weights]:
    """Rebuild the vectors of the question's themes whose name or insights changed since
    they were built (and of new ones); all of them, fitted, when none were kept yet. Returns
    the fit's hash and the IDF they are computed with."""
    fit = _fit(s, team_id, question_id)
    if fit is None:
        return refit(s, team_id, question_id)
    current = _signatures(s, team_id, question_id)
    kept = {
        row.theme_id: row
        for row in s.execute(
            sa.select(KEPT.c.theme_id, KEPT.c.name, KEPT.c.count, KEPT.c.newest, KEPT.c.total,
                      KEPT.c.insights)
            .where(KEPT.c.team_id == team_id, KEPT.c.question_id == question_id)
        )
    }  # fmt: skip
    stale = [t for t, sign in current.items() if t not in kept or tuple(kept[t][1:5]) != sign]
    weights = _weights(s, question_id, fit.fitted)
    if not stale:
        return fit.fitted, weights
    texts = _texts(s, team_id, stale)
    changed = 0
    for theme_id in stale:
        name, ids, _ = texts[theme_id]
        before = kept.get(theme_id)
        old = set(np.frombuffer(before.insights, dtype=np.int64).tolist()) if before else set()
        changed += len(old ^ set(ids)) + (before is None or before.name != name)
    if fit.changed + changed > REFIT * fit.texts and fit.texts < INLINE:
        return refit(s, team_id, question_id)  # a small question: as cheap as the rebuild
    _store(s, team_id, question_id, {t: current[t] for t in stale}, texts, weights)
    s.execute(
        sa.update(FIT)
        .where(FIT.c.question_id == question_id)
        .values(changed=FIT.c.changed + changed)
    )
    return fit.fitted, weights


def refresh(s: Session, team_id: str, question_id: int) -> bool:
    """Fit the question's IDF again when more than REFIT of its texts changed since it was
    fitted; whether it was."""
    fit = _fit(s, team_id, question_id)
    if fit is None or fit.changed <= REFIT * fit.texts:
        return False
    refit(s, team_id, question_id)
    return True


def refit(s: Session, team_id: str, question_id: int) -> tuple[int, Weights]:
    """Fit the question's IDF on its themes' texts as they are, and rebuild every theme."""
    current = _signatures(s, team_id, question_id)
    texts = _texts(s, team_id, list(current))
    weights = default_matcher().fit([x for *_, lines in texts.values() for x in lines])
    tokens, grams = _packed(weights.tokens), _packed(weights.grams)
    fitted = _hash(tokens, grams)
    s.execute(sa.delete(FIT).where(FIT.c.question_id == question_id))
    s.execute(
        sa.insert(FIT).values(
            question_id=question_id, team_id=team_id, fitted=fitted, changed=0,
            texts=sum(len(x) for *_, x in texts.values()), tokens=tokens, grams=grams,
        )
    )  # fmt: skip
    _store(s, team_id, question_id, current, texts, weights)
    return fitted, weights


def _hash(*parts: bytes | str) -> int:
    """A content hash that fits a BIGINT."""
    found = hashlib.blake2b(digest_size=7)
    for part in parts:
        found.update(part.encode() if isinstance(part, str) else part)
    return int.from_bytes(found.digest(), "big")


def _fit(s: Session, team_id: str, question_id: int) -> sa.Row | None:
    """The question's fit: its hash, texts and changes since (not its bytes)."""
    return s.execute(
        sa.select(FIT.c.fitted, FIT.c.texts, FIT.c.changed).where(
            FIT.c.question_id == question_id, FIT.c.team_id == team_id
        )
    ).first()


def _weights(s: Session, question_id: int, fitted: int) -> Weights:
    with _lock:
        cached = _fits.get(question_id)
    if cached is not None and cached[0] == fitted:
        return cached[1]
    row = s.execute(
        sa.select(FIT.c.tokens, FIT.c.grams).where(FIT.c.question_id == question_id)
    ).one()
    weights = Weights(_unpacked(row.tokens), _unpacked(row.grams))
    with _lock:
        _remember(_fits, question_id, (fitted, weights), 64)
    return weights


def _signatures(s: Session, team_id: str, question_id: int) -> dict[int, tuple[str, int, int, int]]:
    """Each theme of the question: its name, and its insights as a count, the newest id and
    the sum of ids (what its vectors are built from, told cheaply)."""
    rows = s.execute(
        sa.select(
            Theme.id,
            Theme.name,
            sa.func.count(col(Insight.id)),
            sa.func.coalesce(sa.func.max(Insight.id), 0),
            sa.func.coalesce(sa.func.sum(Insight.id), 0),
        )
        .outerjoin(Insight, col(Insight.theme_id) == Theme.id)
        .where(Theme.team_id == team_id, Theme.question_id == question_id)
        .group_by(Theme.id, Theme.name)
        .order_by(Theme.id)
    )
    return {theme_id: (name, n, newest, total) for theme_id, name, n, newest, total in rows}


def _texts(
    s: Session, team_id: str, theme_ids: Sequence[int]
) -> dict[int, tuple[str, list[int], list[str]]]:
    """Per theme: its name, the ids of its latest insights, and its texts (the name first),
    as `interviews.reference` gives them."""
    names = dict(
        s.execute(sa.select(Theme.id, Theme.name).where(col(Theme.id).in_(theme_ids))).all()
    )
    found = {t: (names[t], [], [names[t]]) for t in theme_ids}
    for theme_id, insight_id, text in interviews.latest_insights(s, team_id, list(theme_ids)):
        found[theme_id][1].append(insight_id)
        found[theme_id][2].append(text)
    return found


def _store(
    s: Session,
    team_id: str,
    question_id: int,
    signatures: dict[int, tuple[str, int, int, int]],
    texts: dict[int, tuple[str, list[int], list[str]]],
    weights: Weights,
) -> None:
    """(Re)build the vectors of the themes of `signatures`."""
    matcher = default_matcher()
    s.execute(
        sa.delete(KEPT).where(
            KEPT.c.question_id == question_id, KEPT.c.theme_id.in_(list(signatures))
        )
    )
    rows = []
    built = matcher.themes_vectors([texts[t][2] for t in signatures], weights)
    for (theme_id, (name, count, newest, total)), v in zip(signatures.items(), built, strict=True):
        ids = texts[theme_id][1]
        data = dict(
            centroid=v.centroid.astype(np.float32).tobytes(),
            grams=v.grams.astype(np.int32).tobytes(),
            weights=v.weights.astype(np.float32).tobytes(),
            lengths=v.lengths.astype(np.int64).tobytes(),
            words=json.dumps([sorted(w) for w in v.words]),
        )
        rows.append(
            dict(theme_id=theme_id, team_id=team_id, question_id=question_id, name=name,
                 count=count, newest=newest, total=total, stamp=_hash(*data.values()),
                 insights=np.array(ids, dtype=np.int64).tobytes(), **data)
        )  # fmt: skip
    if rows:
        s.execute(sa.insert(KEPT), rows)


def _vectors(row: sa.Row) -> ThemeVectors:
    return ThemeVectors(
        np.frombuffer(row.centroid, dtype=np.float32),
        np.frombuffer(row.grams, dtype=np.int32),
        np.frombuffer(row.weights, dtype=np.float32),
        np.frombuffer(row.lengths, dtype=np.int64),
        tuple(frozenset(w) for w in json.loads(row.words)),
    )


def _packed(f: Frequencies | None) -> bytes:
    """Document frequencies as bytes: the text count, the ids, then their counts."""
    if f is None:
        return b""
    return np.concatenate([[f.texts], f.ids, f.counts]).astype(np.int64).tobytes()


def _unpacked(data: bytes) -> Frequencies | None:
    if not data:
        return None
    values = np.frombuffer(data, dtype=np.int64)
    n = (len(values) - 1) // 2
    return Frequencies(int(values[0]), values[1 : 1 + n], values[1 + n :])
