#!/usr/bin/env python3
"""Reproduce the vendored models from botocore wheels.

Usage: strip_docs.py SRC_JSON_OR_GZ DEST_JSON

Loads a botocore `service-2.json` (or `.json.gz`), removes documentation-only keys
(`documentation`, `documentationUrl`, `examples`) at every level, and writes the JSON back
(indent=1, key order kept). Nothing that affects the wire format is removed.
"""
import gzip
import json
import sys

DROP = {"documentation", "documentationUrl", "examples"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main():
    src, dest = sys.argv[1], sys.argv[2]
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rt", encoding="utf-8") as f:
        model = json.load(f)
    with open(dest, "w", encoding="utf-8") as f:
        json.dump(strip(model), f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
