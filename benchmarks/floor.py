"""The floor: the same objects as plain dicts, validated and written as fast as Python can.

``python benchmarks/floor.py OBJECTS.json OUT``: the objects (``[path, manifest]`` pairs, read
with the C JSON parser), one validator per kind compiled by jsonschema-rs (the Kubernetes
minor's strict schemas from kubernetes-validate; Argo CD kinds from their vendored CRD schema),
PyYAML's C ``CSafeDumper``, one file each. Prints the time of each phase as JSON.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema_rs
import kubernetes_validate
import yaml

VERSION = "1.37"
_CRDS = Path(__file__).resolve().parent.parent / "gpumanifests" / "_schemas" / "crds" / "argoproj.io"
_ARGOCD_PLURALS = {"Application": "applications", "ApplicationSet": "applicationsets", "AppProject": "appprojects"}


def _validators() -> Any:
    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{VERSION}.0-local-strict"
    definitions = json.loads((base / "_definitions.json").read_text(encoding="utf-8"))
    compiled: dict[tuple[str, str], Any] = {}

    def validator(api_version: str, kind: str) -> Any:
        key = (api_version, kind)
        if key not in compiled:
            if api_version.startswith("argoproj.io/"):
                crd = json.loads((_CRDS / f"{_ARGOCD_PLURALS[kind]}.json").read_text(encoding="utf-8"))
                schema = crd["versions"][api_version.rpartition("/")[2]]["schema"]
                compiled[key] = jsonschema_rs.Draft202012Validator(schema)
            else:
                group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
                schema = json.loads((base / f"{kind.lower()}-{group_version}.json").read_text(encoding="utf-8"))
                compiled[key] = jsonschema_rs.Draft202012Validator(schema, retriever=lambda _uri: definitions)
        return compiled[key]

    return validator


def main(objects_file: Path, out: Path) -> dict[str, float]:
    start = time.perf_counter()
    pairs = json.loads(objects_file.read_text(encoding="utf-8"))
    loaded = time.perf_counter()
    validator = _validators()
    for path, manifest in pairs:
        check = validator(manifest["apiVersion"], manifest["kind"])
        if not check.is_valid(manifest):
            raise SystemExit(f"{path}: {next(iter(check.iter_errors(manifest))).message}")
    validated = time.perf_counter()
    files = [
        (out / path, yaml.dump(manifest, Dumper=yaml.CSafeDumper, sort_keys=False, width=2**31 - 1).encode())
        for path, manifest in pairs
    ]
    serialized = time.perf_counter()
    made: set[Path] = set()
    for target, content in files:
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        with target.open("wb") as handle:
            handle.write(content)
    written = time.perf_counter()
    return {
        "construct": loaded - start,
        "validate": validated - loaded,
        "serialize": serialized - validated,
        "write": written - serialized,
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
