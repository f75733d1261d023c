"""The npm packages: `npm install` of the two packed tarballs (ferrybridge and its platform
package) and @aws-sdk/client-sqs into a temporary project, then a node:test suite that uses
startFerrybridge, npx and the SDK."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from conftest import DIST, ROOT, version

PROJECT = Path(__file__).resolve().parent / "projects" / "node"


def sdk_version() -> str:
    lock = json.loads((ROOT / "tests" / "js" / "package-lock.json").read_text())
    return lock["packages"]["node_modules/@aws-sdk/client-sqs"]["version"]


def test_tarballs():
    main = DIST / f"ferrybridge-{version()}.tgz"
    platform = DIST / f"ferrybridge-linux-x64-{version()}.tgz"
    with tarfile.open(main) as tar:
        pkg = json.load(tar.extractfile("package/package.json"))
        names = set(tar.getnames())
    assert pkg["version"] == version()
    assert pkg["optionalDependencies"] == {"@ferrybridge/linux-x64": version()}
    assert pkg["bin"] == {"ferrybridge": "bin/ferrybridge.js"} and pkg["types"] == "index.d.ts"
    assert {"package/index.js", "package/index.d.ts", "package/bin/ferrybridge.js"} <= names
    with tarfile.open(platform) as tar:
        pkg = json.load(tar.extractfile("package/package.json"))
        binary = tar.getmember("package/bin/ferrybridge")
        assert tar.extractfile(binary).read() == (DIST / "ferrybridge").read_bytes()
    assert pkg["name"] == "@ferrybridge/linux-x64" and pkg["version"] == version()
    assert pkg["os"] == ["linux"] and pkg["cpu"] == ["x64"]
    assert binary.mode & 0o111


def test_install_and_use(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "user-project", "private": True, "type": "module"}))
    for source in PROJECT.iterdir():
        shutil.copy(source, project / source.name)
    install = subprocess.run(
        [
            "npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error",
            str(DIST / f"ferrybridge-linux-x64-{version()}.tgz"),
            str(DIST / f"ferrybridge-{version()}.tgz"),
            f"@aws-sdk/client-sqs@{sdk_version()}",
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    lock = json.loads((project / "package-lock.json").read_text())
    # npm resolved ferrybridge's optional dependency with the platform package.
    assert lock["packages"]["node_modules/@ferrybridge/linux-x64"]["version"] == version()
    assert lock["packages"]["node_modules/ferrybridge"]["optionalDependencies"] == {"@ferrybridge/linux-x64": version()}
    assert (project / "node_modules" / ".bin" / "ferrybridge").exists()
    # The TypeScript declarations type-check a use of the whole API (typescript and Node's
    # types from the npm registry, into the same temporary project).
    types = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", "typescript@5", "@types/node@20"],
        cwd=project, capture_output=True, text=True,
    )
    assert types.returncode == 0, types.stdout + types.stderr
    tsc = subprocess.run(
        ["npx", "--no-install", "tsc", "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext",
         "--target", "es2022", "--types", "node", "types-check.ts"],
        cwd=project, capture_output=True, text=True,
    )
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
    # As on a user's machine: no FERRYBRIDGE_BIN override (scripts/test exports one), so the
    # binary must come from the platform package npm installed.
    env = {k: v for k, v in os.environ.items() if k != "FERRYBRIDGE_BIN"}
    run = subprocess.run(["node", "--test"], cwd=project, capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"# pass 7\b", run.stdout), run.stdout
    assert re.search(r"# fail 0\b", run.stdout), run.stdout
