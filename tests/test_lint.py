"""The code passes the linter (ruff: style, import order, common bugs, security smells)."""

import subprocess
import sys

from coop import ROOT


def test_ruff_finds_nothing():
    paths = ["coop", "tests", "bench", "config.py", "setup.py"]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *paths],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
