"""The naive path: what a cdk8s user without gpumanifests would write for the same objects.

``python benchmarks/naive.py OBJECTS.json OUT``: a cdk8s ``App`` with one ``Chart`` per directory,
each object a typed L1 construct (``k8s.KubeJob(chart, id, metadata=ObjectMeta(...),
spec=JobSpec(...))``, with ``Quantity`` and ``IntOrString`` values; Argo CD objects as
``ApiObject`` plus JSON patches), every object validated with ``kubernetes_validate.validate()``
(Argo CD objects: a jsonschema validator of their CRD schema, made per object), then
``app.synth()`` writing one YAML file per object (a folder per chart). Prints the time of each phase as JSON.
"""

from __future__ import annotations

import collections.abc
import json
import sys
import time
import typing
from pathlib import Path
from typing import Any

import cdk8s
import cdk8s_plus_37
import jsonschema
import kubernetes_validate

k8s = cdk8s_plus_37.k8s
VERSION = "1.37"
_CRDS = Path(__file__).resolve().parent.parent / "gpumanifests" / "_schemas" / "crds" / "argoproj.io"
_ARGOCD_PLURALS = {"Application": "applications", "ApplicationSet": "applicationsets", "AppProject": "appprojects"}
_MAPPINGS = (dict, typing.Mapping, collections.abc.Mapping)
_SEQUENCES = ("Sequence", "list")


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


_HINTS: dict[Any, tuple[dict[str, Any], dict[str, str]]] = {}


def _hints(fn: Any) -> tuple[dict[str, Any], dict[str, str]]:
    if fn not in _HINTS:
        hints = typing.get_type_hints(fn)
        hints.pop("return", None)
        _HINTS[fn] = (hints, {_norm(param): param for param in hints})
    return _HINTS[fn]


def _is_struct(hint: Any) -> bool:
    return isinstance(hint, type) and hint.__module__.startswith("cdk8s")


def _from_union(value: Any, options: list[Any]) -> Any:
    if isinstance(value, dict):
        structs = [arg for arg in options if _is_struct(arg)]
        mappings = [arg for arg in options if typing.get_origin(arg) in _MAPPINGS]
        choice = structs or mappings
        return _to_typed(value, choice[0]) if choice else value
    if isinstance(value, list):
        sequences = [arg for arg in options if getattr(typing.get_origin(arg), "__name__", None) in _SEQUENCES]
        return _to_typed(value, sequences[0]) if sequences else value
    return _to_typed(value, options[0]) if len(options) == 1 else value


def _to_typed(value: Any, hint: Any) -> Any:
    """A camelCase manifest value as the typed jsii struct(s) ``hint`` names."""
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        return _from_union(value, [arg for arg in typing.get_args(hint) if arg is not type(None)])
    if getattr(origin, "__name__", None) in _SEQUENCES:
        (item,) = typing.get_args(hint)
        return [_to_typed(entry, item) for entry in value]
    if origin in _MAPPINGS:
        _, item = typing.get_args(hint)
        return {key: _to_typed(entry, item) for key, entry in value.items()}
    if hint is k8s.Quantity:
        return k8s.Quantity.from_string(value) if isinstance(value, str) else k8s.Quantity.from_number(value)
    if hint is k8s.IntOrString:
        return k8s.IntOrString.from_string(value) if isinstance(value, str) else k8s.IntOrString.from_number(value)
    if _is_struct(hint) and isinstance(value, dict):
        return hint(**_typed_arguments(hint.__init__, value))
    return value


def _typed_arguments(init: Any, fields: dict[str, Any]) -> dict[str, Any]:
    hints, by_norm = _hints(init)
    return {by_norm[_norm(key)]: _to_typed(value, hints[by_norm[_norm(key)]]) for key, value in fields.items()}


def _argocd_object(chart: Any, id: str, manifest: dict[str, Any]) -> None:
    metadata = _typed_arguments(cdk8s.ApiObjectMetadata.__init__, manifest["metadata"])
    obj = cdk8s.ApiObject(
        chart,
        id,
        api_version=manifest["apiVersion"],
        kind=manifest["kind"],
        metadata=cdk8s.ApiObjectMetadata(**metadata),
    )
    for key, value in manifest.items():
        if key not in ("apiVersion", "kind", "metadata"):
            obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))


def _construct(pairs: list[tuple[str, dict[str, Any]]], out: Path) -> tuple[Any, list[Any]]:
    app = cdk8s.App(outdir=str(out), yaml_output_type=cdk8s.YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE)
    charts: dict[str, Any] = {}
    for number, (path, manifest) in enumerate(pairs):
        directory = path.rsplit("/", 1)[0]
        if directory not in charts:
            charts[directory] = cdk8s.Chart(app, directory.replace("/", "--"), disable_resource_name_hashes=True)
        if manifest["apiVersion"].startswith("argoproj.io/"):
            _argocd_object(charts[directory], f"o{number}", manifest)
            continue
        kind = getattr(k8s, f"Kube{manifest['kind']}")
        fields = {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind")}
        kind(charts[directory], f"o{number}", **_typed_arguments(kind.__init__, fields))
    return app, list(charts.values())


def _validate(obj: dict[str, Any]) -> None:
    if obj["apiVersion"].startswith("argoproj.io/"):
        crd = json.loads((_CRDS / f"{_ARGOCD_PLURALS[obj['kind']]}.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(crd["versions"][obj["apiVersion"].rpartition("/")[2]]["schema"]).validate(obj)
    else:
        kubernetes_validate.validate(obj, VERSION, strict=True)


def main(objects_file: Path, out: Path) -> dict[str, float]:
    pairs = json.loads(objects_file.read_text(encoding="utf-8"))
    start = time.perf_counter()
    app, charts = _construct(pairs, out)
    constructed = time.perf_counter()
    for chart in charts:
        for obj in chart.to_json():
            _validate(obj)
    validated = time.perf_counter()
    app.synth()
    written = time.perf_counter()
    return {"construct": constructed - start, "validate": validated - constructed, "synth+write": written - validated}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
