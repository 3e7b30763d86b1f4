"""The house rules of the domain, checked: `cadence/` decides from data and `now`; it never
commits (the store does, once per interaction), imports the Slack layer or reads the clock."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "cadence"
RULES = {
    "commits or rolls back": re.compile(r"\.(commit|rollback)\("),
    "imports the Slack layer": re.compile(r"^\s*(from|import) (slack_bolt|slack_sdk|bot)\b"),
    "reads the clock": re.compile(r"datetime\.(now|utcnow|today)\(|date\.today\(|time\.time\("),
}


def _sources() -> list[Path]:
    # db.py is the store's side of the line: it makes engines and runs migrations.
    return [
        p for p in sorted(CORE.rglob("*.py")) if p.name != "db.py" and "migrations" not in p.parts
    ]


@pytest.mark.parametrize("rule", RULES)
def test_the_core_keeps_its_rules(rule: str) -> None:
    broken = []
    for path in _sources():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if RULES[rule].search(line):
                broken.append(f"{path.relative_to(CORE.parent)}:{n}")
    assert not broken, f"cadence/ {rule}: {broken}"
