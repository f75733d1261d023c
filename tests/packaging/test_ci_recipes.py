"""The CI recipes of examples/: their steps run on this machine by examples/run-ci-recipes."""

import subprocess
import sys
from pathlib import Path

from conftest import DIST, ROOT


def test_github_actions_and_gitlab_ci_recipes():
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "run-ci-recipes"), "--binary", str(DIST / "ferrybridge"),
         "--python-bin", str(Path(sys.executable).parent)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "github-actions.yml: passed" in output and "gitlab-ci.yml: passed" in output
    # The steps really ran: the download, the start with its health wait, the tests.
    for step in ("Install ferrybridge", "Start ferrybridge", "Run tests"):
        assert f"[github] run   {step}" in output, output
    assert "[github] skip  ferrybridge log (if: failure())" in output
    assert output.count("2 passed") == 2, output
