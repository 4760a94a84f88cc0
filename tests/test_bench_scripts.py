"""The benchmarks are run by hand (make bench-*), never by the suite; but each script must at
least start as the Makefile starts it (a script, from anywhere): a misplaced import once broke
`make bench-exchange` without any test noticing."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in (ROOT / "bench").glob("*.py") if "__main__" in p.read_text())


def test_the_scripts_are_found():
    expected = {"analysis.py", "exchange.py", "map_proposals.py", "load.py", "search.py",
                "places.py", "addresses.py"}  # fmt: skip
    assert expected <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_bench_script_starts(script, tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--help"],
        cwd=tmp_path,  # not the project folder: the script must find its packages itself
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
