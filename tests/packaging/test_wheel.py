"""The wheel: a fresh virtualenv, `pip install` of the built wheel (and boto3 and pytest from
PyPI), then the `ferrybridge` command and the pytest plugin as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import DIST, ROOT, version

PROJECTS = Path(__file__).resolve().parent / "projects"


@pytest.fixture(scope="module")
def wheel() -> Path:
    wheels = sorted(DIST.glob(f"ferrybridge-{version()}-*.whl"))
    assert len(wheels) == 1, "scripts/dist wheel builds exactly one"
    return wheels[0]


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    path = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    pip = [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, str(wheel), "boto3", "pytest"], check=True)
    return path


def user_env(venv: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FERRYBRIDGE_", "PYTEST_"))}
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    return env


def test_wheel_layout(wheel):
    assert wheel.name == f"ferrybridge-{version()}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        binary = zf.getinfo(f"ferrybridge-{version()}.data/scripts/ferrybridge")
        assert (binary.external_attr >> 16) & 0o111, "the binary is executable"
        assert zf.read(binary.filename) == (DIST / "ferrybridge").read_bytes()
        entry_points = zf.read(f"ferrybridge-{version()}.dist-info/entry_points.txt").decode()
    assert "ferrybridge/pytest_plugin.py" in names and "ferrybridge/__init__.py" in names
    assert "[pytest11]\nferrybridge = ferrybridge.pytest_plugin" in entry_points


def test_command_installed_by_pip(venv):
    env = user_env(venv)
    out = subprocess.run(["ferrybridge", "--version"], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"ferrybridge {version()}"
    assert Path(subprocess.run(["which", "ferrybridge"], env=env, capture_output=True, text=True).stdout.strip()).parent == venv / "bin"
    module = subprocess.run([str(venv / "bin" / "python"), "-m", "ferrybridge", "--version"], env=env, capture_output=True, text=True)
    assert module.stdout.strip() == f"ferrybridge {version()}"
    # pip install check: the RECORD of the wheel matched what was installed.
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "check"], env=env, check=True, capture_output=True)


def pids_alive(pid_file: Path) -> list[int]:
    alive = []
    for pid in {int(line) for line in pid_file.read_text().split()}:
        if Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text():
            alive.append(pid)
    return alive


def test_pytest_plugin_fixtures(venv, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_with_fixtures.py").write_text((PROJECTS / "pytest-plugin" / "test_with_fixtures.py").read_text())
    env = user_env(venv)
    env["PID_FILE"] = str(tmp_path / "pids")
    run = subprocess.run(["pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 passed" in run.stdout
    assert pids_alive(tmp_path / "pids") == [], "the emulator is stopped after the session"


def test_pytest_plugin_on_failure(venv, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("test_failing.py", "pytest.ini"):
        (project / name).write_text((PROJECTS / "pytest-plugin-failing" / name).read_text())
    env = user_env(venv)
    env["PID_FILE"] = str(tmp_path / "pids")
    run = subprocess.run(["pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=env, capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout
    # The report has the emulator's log of that test: its request for the missing queue.
    assert "ferrybridge log (during this test" in run.stdout, run.stdout
    section = run.stdout.split("ferrybridge log (during this test", 1)[1]
    assert "GetQueueUrl" in section, run.stdout
    assert pids_alive(tmp_path / "pids") == [], "the emulator is stopped although the test failed"


def test_pytest_plugin_reset_mode(venv, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("test_reset_mode.py", "pytest.ini"):
        (project / name).write_text((PROJECTS / "pytest-plugin-reset" / name).read_text())
    run = subprocess.run(["pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=user_env(venv), capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
