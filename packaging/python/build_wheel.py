#!/usr/bin/env python3
"""Builds the ``ferrybridge`` wheel around an already-built static binary (no compiling).

    build_wheel.py --binary dist/ferrybridge --version 0.1.0 --out dist/

The wheel holds the Python package next to this script (``ferrybridge/``: a launcher, the
``Ferrybridge`` class and the pytest plugin) and the binary as a script
(``ferrybridge-<v>.data/scripts/ferrybridge``), which pip installs as the ``ferrybridge``
command. The binary is statically linked, so the platform tag is manylinux2014 (glibc 2.17 or
newer, x86_64), and the wheel is ``py3-none``: any Python 3. The archive is reproducible
(fixed timestamps, sorted entries).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = "ferrybridge"
TAGS = ["py3-none-manylinux_2_17_x86_64", "py3-none-manylinux2014_x86_64"]
EPOCH = (1980, 1, 1, 0, 0, 0)

METADATA = """\
Metadata-Version: 2.1
Name: ferrybridge
Version: {version}
Summary: A local emulator of Amazon SQS, SNS and EventBridge: the static binary and a pytest plugin
Home-page: https://github.com/ferrybridge/ferrybridge
License: Apache-2.0
Requires-Python: >=3.8
Classifier: Framework :: Pytest
Classifier: Operating System :: POSIX :: Linux
Classifier: Programming Language :: Rust
Classifier: Topic :: Software Development :: Testing
Description-Content-Type: text/markdown

# ferrybridge

`pip install ferrybridge` installs the `ferrybridge` command (a static binary: starts in
milliseconds, a few MB of memory) and a pytest plugin:

```python
import boto3

def test_orders(ferrybridge):          # a clean account per test, the emulator per session
    sqs = boto3.client("sqs")          # AWS_ENDPOINT_URL, credentials and region are set
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
```
"""

ENTRY_POINTS = """\
[pytest11]
ferrybridge = ferrybridge.pytest_plugin
"""


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build(binary: Path, version: str, out: Path) -> Path:
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*([a-z0-9.+-]*)", version):
        raise SystemExit(f"not a version: {version!r}")
    data = binary.read_bytes()
    if data[:4] != b"\x7fELF":
        raise SystemExit(f"{binary} is not an ELF binary")
    dist_info = f"{NAME}-{version}.dist-info"
    files: list[tuple[str, bytes, int]] = []
    for source in sorted((HERE / NAME).rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            content = source.read_bytes()
            if source.name == "__init__.py":
                content = content.replace(b'__version__ = "0.0.0"', f'__version__ = "{version}"'.encode())
            files.append((f"{NAME}/{source.relative_to(HERE / NAME).as_posix()}", content, 0o644))
    files.append((f"{NAME}-{version}.data/scripts/ferrybridge", data, 0o755))
    wheel = "Wheel-Version: 1.0\nGenerator: ferrybridge build_wheel.py\nRoot-Is-Purelib: false\n"
    wheel += "".join(f"Tag: {tag}\n" for tag in TAGS)
    files.append((f"{dist_info}/METADATA", METADATA.format(version=version).encode(), 0o644))
    files.append((f"{dist_info}/WHEEL", wheel.encode(), 0o644))
    files.append((f"{dist_info}/entry_points.txt", ENTRY_POINTS.encode(), 0o644))
    record = "".join(record_line(p, c) + "\n" for p, c, _ in files) + f"{dist_info}/RECORD,,\n"
    files.append((f"{dist_info}/RECORD", record.encode(), 0o644))

    platform = ".".join(tag.split("-", 2)[2] for tag in TAGS)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{NAME}-{version}-py3-none-{platform}.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, content, mode in files:
            info = zipfile.ZipInfo(path, EPOCH)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content, compresslevel=9)
    target.write_bytes(buffer.getvalue())
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, type=Path)
    parser.add_argument("--version", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    print(build(args.binary, args.version, args.out))


if __name__ == "__main__":
    main()
