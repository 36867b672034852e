"""Regenerate the vendored schemas from their upstream sources: ``python -m nox -s schemas``.

Reads ``gpumanifests/_schemas/crds/sources.json`` and writes, for every CustomResourceDefinition in
the listed upstream files, ``gpumanifests/_schemas/crds/<group>/<plural>.json`` (each served
version's ``openAPIV3Schema`` with the ``description`` keyword dropped, plus the source's
repository, ref, commit and path) and ``index.json`` (kind -> file, scope, versions, installer).
It also writes ``gpumanifests/_schemas/kubernetes/scopes.json``, the scope of every built-in
kind per supported minor, from the ``lightkube-models`` wheel of that minor, and
``gpumanifests/_schemas/nvidia/mig-configs.json``, the names of the MIG configurations the GPU
Operator's default ``default-mig-parted-config`` offers (``nvidia.com/mig.config`` values).

Upstream files come from https://raw.githubusercontent.com/<repository>/<ref>/<path>, or, with
``--git-dir owner/name=DIR``, from a local git directory (``git show <ref>:<path>``).
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "gpumanifests" / "_schemas"
SOURCES = SCHEMAS / "crds" / "sources.json"
_SCHEMA_CHILDREN = ("items", "additionalProperties", "not")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCOPES = {"NamespacedResource": "Namespaced", "NamespacedResourceG": "Namespaced"}
_SCOPES |= {"GlobalResource": "Cluster", "GlobalResourceG": "Cluster"}


class Upstream:
    """Reads files of upstream repositories, from GitHub or from local git directories."""

    def __init__(self, git_dirs: dict[str, Path]) -> None:
        self.git_dirs = git_dirs

    def read(self, repository: str, ref: str, path: str) -> str:
        if repository in self.git_dirs:
            return self._git(repository, "show", f"{ref}:{path}")
        url = f"https://raw.githubusercontent.com/{repository}/{ref}/{path}"
        with urllib.request.urlopen(url, timeout=60) as response:
            return str(response.read().decode("utf-8"))

    def commit(self, repository: str, ref: str) -> str:
        if repository in self.git_dirs:
            return self._git(repository, "rev-parse", f"{ref}^{{commit}}").strip()
        url = f"https://api.github.com/repos/{repository}/commits/{ref}"
        with urllib.request.urlopen(url, timeout=60) as response:
            return str(json.load(response)["sha"])

    def _git(self, repository: str, *arguments: str) -> str:
        command = ["git", f"--git-dir={self.git_dirs[repository]}", *arguments]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def without_descriptions(schema: Any) -> Any:
    """The schema with every ``description`` keyword removed (a property named ``description`` stays)."""
    if not isinstance(schema, dict):
        return schema
    out = {key: value for key, value in schema.items() if not (key == "description" and isinstance(value, str))}
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {name: without_descriptions(sub) for name, sub in schema["properties"].items()}
    for key in _SCHEMA_CHILDREN:
        if isinstance(schema.get(key), dict):
            out[key] = without_descriptions(schema[key])
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            out[key] = [without_descriptions(sub) for sub in schema[key]]
    return out


def vendored_crd(document: dict[str, Any], source: dict[str, str]) -> dict[str, Any]:
    """The vendored form of one CustomResourceDefinition document."""
    spec = document["spec"]
    versions = {
        version["name"]: {
            "served": version["served"],
            "storage": version["storage"],
            "deprecated": version.get("deprecated", False),
            "schema": without_descriptions(version["schema"]["openAPIV3Schema"]),
        }
        for version in spec["versions"]
    }
    return {
        "source": source,
        "group": spec["group"],
        "kind": spec["names"]["kind"],
        "plural": spec["names"]["plural"],
        "scope": spec["scope"],
        "versions": versions,
    }


def refresh_crds(upstream: Upstream) -> dict[str, Any]:
    """Write every vendored CRD file; return the index."""
    index: dict[str, Any] = {}
    for entry in json.loads(SOURCES.read_text(encoding="utf-8"))["sources"]:
        repository, ref = entry["repository"], entry["ref"]
        commit = upstream.commit(repository, ref)
        for path in entry["paths"]:
            source = {"repository": repository, "ref": ref, "commit": commit, "path": path}
            for document in yaml.safe_load_all(upstream.read(repository, ref, path)):
                if not document or document.get("kind") != "CustomResourceDefinition":
                    continue
                crd = vendored_crd(document, source)
                relative = f"{crd['group']}/{crd['plural']}.json"
                target = SCHEMAS / "crds" / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(crd, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
                index[f"{crd['group']}/{crd['kind']}"] = {
                    "file": relative,
                    "scope": crd["scope"],
                    "served": [name for name, version in crd["versions"].items() if version["served"]],
                    "installed_by": entry["installed_by"],
                    "source": source,
                }
    return dict(sorted(index.items()))


def wheel_scopes(wheel: Path) -> dict[str, str]:
    """``<apiVersion>/<Kind>`` -> scope of every top-level resource class in a lightkube-models wheel."""
    scopes: dict[str, str] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.startswith("lightkube/resources/") and name.endswith(".py"):
                scopes |= _module_scopes(archive.read(name).decode("utf-8"))
    return dict(sorted(scopes.items()))


def _module_scopes(source: str) -> dict[str, str]:
    scopes = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [base.attr for base in node.bases if isinstance(base, ast.Attribute)]
        scope = next((_SCOPES[base] for base in bases if base in _SCOPES), None)
        resource = _resource_def(node)
        if scope is not None and resource is not None:
            group, version, kind = resource
            scopes[f"{group}/{version}/{kind}" if group else f"{version}/{kind}"] = scope
    return scopes


def _resource_def(node: ast.ClassDef) -> tuple[str, str, str] | None:
    """The ``(group, version, kind)`` of the class's ``_api_info = ApiInfo(resource=ResourceDef(...))``."""
    for statement in node.body:
        if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)):
            continue
        if not any(isinstance(target, ast.Name) and target.id == "_api_info" for target in statement.targets):
            continue
        for keyword in statement.value.keywords:
            if keyword.arg == "resource" and isinstance(keyword.value, ast.Call):
                group, version, kind = (ast.literal_eval(argument) for argument in keyword.value.args)
                return str(group), str(version), str(kind)
    return None


def refresh_scopes() -> None:
    wheels = json.loads(SOURCES.read_text(encoding="utf-8"))["scopes"]["lightkube-models"]
    versions = {}
    with tempfile.TemporaryDirectory() as directory:
        for minor, version in wheels.items():
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", directory]
            subprocess.run([*command, f"lightkube-models=={version}"], check=True)
            wheel = next(Path(directory).glob(f"lightkube_models-{version}-*.whl"))
            versions[minor] = wheel_scopes(wheel)
    document = {"source": {f"lightkube-models {version}": minor for minor, version in wheels.items()}}
    document["versions"] = versions
    target = SCHEMAS / "kubernetes" / "scopes.json"
    target.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def refresh_mig_configs(upstream: Upstream) -> None:
    source = json.loads(SOURCES.read_text(encoding="utf-8"))["mig_configs"]
    configmap = yaml.safe_load(upstream.read(source["repository"], source["ref"], source["path"]))
    names = sorted(yaml.safe_load(configmap["data"]["config.yaml"])["mig-configs"])
    document = {"source": {**source, "commit": upstream.commit(source["repository"], source["ref"])}, "names": names}
    target = SCHEMAS / "nvidia" / "mig-configs.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--git-dir", action="append", default=[], metavar="OWNER/NAME=DIR", help="read a repository locally"
    )
    parser.add_argument("--skip-scopes", action="store_true", help="leave scopes.json as it is")
    args = parser.parse_args()
    git_dirs = {name: Path(directory) for name, _, directory in (item.partition("=") for item in args.git_dir)}
    index = refresh_crds(Upstream(git_dirs))
    (SCHEMAS / "crds" / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    refresh_mig_configs(Upstream(git_dirs))
    if not args.skip_scopes:
        refresh_scopes()
    print(f"wrote {len(index)} CRD schemas and their index under {SCHEMAS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
