"""constraints.txt (written by `make lock`) pins every package scripts/setup.sh installs, each
within the range pyproject.toml allows: a dependency added without locking again, or a
range changed past its pin, fails here rather than installing differently elsewhere."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def test_every_dependency_is_pinned_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(d) for d in project["dependencies"]]
    wanted += [Requirement(d) for d in project["optional-dependencies"]["dev"]]
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = version.strip()
    missing = [str(r) for r in wanted if canonicalize_name(r.name) not in pins]
    assert missing == [], "run make lock"
    outside = [
        f"{r.name}=={pins[canonicalize_name(r.name)]} ({r.specifier})"
        for r in wanted
        if not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]
    assert outside == [], "run make lock"
