"""requirements.lock, which the Dockerfile installs, pins every dependency pyproject.toml
declares at a version it allows. Regenerate it with:

    .venv/bin/pip install pip-tools && .venv/bin/pip-compile --strip-extras \\
        --no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def test_the_lock_pins_every_dependency_at_an_allowed_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {
        canonicalize_name(name): version
        for name, version in re.findall(
            r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.lock").read_text(), re.M
        )
    }
    for line in project["dependencies"]:
        wanted = Requirement(line)
        name = canonicalize_name(wanted.name)
        assert name in pins, f"{wanted.name} is not in requirements.lock"
        assert wanted.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {wanted.name}=={pins[name]}, outside {wanted.specifier}"
        )
