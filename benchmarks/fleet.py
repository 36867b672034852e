"""Fleet benchmark: synthesize 100 / 1,000 / 10,000 mixed GPU and CPU workloads.

Three pipelines on the same objects, each fleet size in a fresh subprocess (so max RSS is per size):

* **ours**: the public API (``GitOpsApp``, ``Cluster``, ``Component``, ``GpuJob``...), then
  ``synthesize(app)`` and ``write_tree(tmp, files)``. ``synthesize`` is timed as one call and,
  through thin timing wrappers around module functions (~1 us per call), split into render,
  validate (Kubernetes + Argo CD schemas), argocd wiring and serialize. The placement proof
  (``gpumanifests._placement.plan.plan_cluster``) is timed as its own phase when that module exists.
* **naive**: plain cdk8s L1 constructs (``k8s.KubeJob(chart, id, metadata=ObjectMeta(...),
  spec=JobSpec(...))`` with typed structs and ``Quantity.from_string``) for the same objects,
  ``chart.to_json()``, ``kubernetes_validate.validate(obj, "1.33", strict=True)`` per object
  (Argo CD objects: a fresh jsonschema validator per object), PyYAML ``safe_dump`` per file.
* **floor**: the same objects as plain dicts (built by a C-speed JSON round trip), one cached
  validator per kind compiled by jsonschema-rs (the fastest JSON Schema library available) from
  kubernetes_validate's strict schema files, ruamel's C emitter (``CSafeDumper``), plain
  ``open().write()`` into a temp dir.

Usage::

    python benchmarks/fleet.py --sizes 100,1000 --repeat 3 [--naive-max 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import itertools
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLUSTERS = 10
WORKLOADS_PER_COMPONENT = 25
GIB = 2**30

# --------------------------------------------------------------------------------------------
# timing and memory instrumentation


class Meter:
    """Accumulates wall time per phase; optionally tracks tracemalloc peaks per phase (nested)."""

    def __init__(self, memory: bool = False) -> None:
        self.memory = memory
        self.times: dict[str, float] = {}
        self.peaks: dict[str, int] = {}  # bytes above the traced size at phase start
        self._frames: list[list[Any]] = []  # [name, start_current, max_absolute_peak]

    @contextlib.contextmanager
    def phase(self, name: str):
        if self.memory:
            current, peak = tracemalloc.get_traced_memory()
            for frame in self._frames:
                frame[2] = max(frame[2], peak)
            tracemalloc.reset_peak()
            self._frames.append([name, current, current])
        start = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start
            if self.memory:
                _, peak = tracemalloc.get_traced_memory()
                for frame in self._frames:
                    frame[2] = max(frame[2], peak)
                frame = self._frames.pop()
                self.peaks[name] = max(self.peaks.get(name, 0), frame[2] - frame[1])

    def wrap(self, module: Any, attr: str, name: str, capture: list | None = None):
        """Replace ``module.attr`` by a timed wrapper; returns an undo function."""
        original = getattr(module, attr)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name):
                result = original(*args, **kwargs)
            if capture is not None:
                capture.append(result)
            return result

        setattr(module, attr, wrapper)
        return lambda: setattr(module, attr, original)


def rss_checkpoint() -> dict[str, float]:
    """Max RSS of this process, and the current/peak RSS of its child processes (the jsii node)."""
    out = {"python_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    node_rss = node_hwm = 0
    pid = os.getpid()
    children: list[str] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                children += handle.read().split()
    for child in children:
        with contextlib.suppress(OSError), open(f"/proc/{child}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    node_rss += int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    node_hwm += int(line.split()[1])
    out["node_rss_mib"] = node_rss / 1024
    out["node_hwm_mib"] = node_hwm / 1024
    out["total_peak_mib"] = out["python_maxrss_mib"] + out["node_hwm_mib"]
    return out


# --------------------------------------------------------------------------------------------
# the fleet, through the public API


def _profiles(gm: Any) -> list[Any]:
    return [
        gm.NodeProfile.apple_metal(),
        gm.NodeProfile.nvidia_cuda(runtime_class_name="nvidia"),
        gm.NodeProfile.amd_rocm(),
        gm.NodeProfile.intel_gpu(),
    ]


def _plan_fleet(size: int) -> list[list[dict[str, Any]]]:
    """Per cluster, the workload specs: kind, name, profile index (GPU), options."""
    clusters: list[list[dict[str, Any]]] = [[] for _ in range(CLUSTERS)]
    for i in range(size):
        c = i % CLUSTERS
        kind = ("GpuJob", "GpuDeployment", "CpuJob", "CpuDeployment")[(i // CLUSTERS) % 4]
        spec: dict[str, Any] = {"kind": kind, "name": f"w{i:05d}", "index": i}
        clusters[c].append(spec)
    return clusters


def build_fleet(size: int) -> Any:
    """A GitOpsApp of ``size`` workloads over ten clusters, four GPU profiles, enough capacity."""
    import gpumanifests as gm

    profiles = _profiles(gm)
    cpu = gm.NodeProfile.cpu_only()
    repo = gm.GitRepo(url="https://git.example.com/platform/fleet.git", revision="main")
    app = gm.GitOpsApp()
    app.source = "benchmarks/fleet.py"
    for c, specs in enumerate(_plan_fleet(size)):
        mine = [profiles[c % 4], profiles[(c + 1) % 4]]
        # pods per profile (replicas), to size the node pools
        gpu_pods = [0, 0]
        cpu_pods = 0
        for spec in specs:
            i = spec["index"]
            spec["replicas"] = 1 + (i // 7) % 2 if spec["kind"].endswith("Deployment") else 1
            if spec["kind"].startswith("Gpu"):
                spec["profile"] = (i // 40) % 2
                gpu_pods[spec["profile"]] += spec["replicas"]
            else:
                cpu_pods += spec["replicas"]
        nodes = [
            gm.Node(name=f"cpu-{n}", profile=cpu, cpu="64", memory="256Gi", max_pods=110)
            for n in range(math.ceil(cpu_pods / 100) + 1)
        ]
        for p, profile in enumerate(mine):
            nodes += [
                gm.Node(name=f"{profile.name}-{n}", profile=profile, gpus=8, cpu="128", memory="1024Gi", max_pods=110)
                for n in range(math.ceil(gpu_pods[p] / 8) + 1)
            ]
        cluster = gm.Cluster(app, f"fleet-{c:02d}", nodes=nodes, repo=repo)
        component = None
        for k, spec in enumerate(specs):
            if k % WORKLOADS_PER_COMPONENT == 0:
                team = f"team-{k // WORKLOADS_PER_COMPONENT:03d}"
                component = gm.Component(cluster, team, namespace=team)
            i, name = spec["index"], spec["name"]
            common: dict[str, Any] = {
                "command": ["python", "-m", "app", f"--shard={i}"],
                "env": {"SHARD": str(i), "LOG_LEVEL": "info"},
                "labels": {"team": f"t{i % 13}"},
            }
            kind = spec["kind"]
            if kind.startswith("Gpu"):
                framework = gm.Framework.PYTORCH if i % 2 else gm.Framework.TENSORFLOW
                image = (
                    "ghcr.io/example/trainer:1.4.2" if i % 3 else f"ghcr.io/example/{mine[spec['profile']].name}:2.0.1"
                )
                options = {**common, "image": image, "framework": framework, "gpus": 1}
                if kind == "GpuJob":
                    gm.GpuJob(component, name, profile=mine[spec["profile"]], **options)
                else:
                    gm.GpuDeployment(
                        component,
                        name,
                        profile=mine[spec["profile"]],
                        replicas=spec["replicas"],
                        port=8080 if i % 2 else None,
                        **options,
                    )
            elif kind == "CpuJob":
                gm.CpuJob(component, name, image="busybox:1.36.1", **common)
            else:
                gm.CpuDeployment(
                    component,
                    name,
                    image="registry.k8s.io/e2e-test-images/agnhost:2.52",
                    replicas=spec["replicas"],
                    port=8080 if i % 2 else None,
                    **common,
                )
    return app


# --------------------------------------------------------------------------------------------
# ours


def run_ours(size: int, meter: Meter, outdir: Path) -> tuple[dict[str, bytes], list[tuple[str, dict[str, Any]]], int]:
    """Construct, synthesize (instrumented), plan, write. Returns the files and (path, manifest) pairs."""
    from gpumanifests._output.tree import write_tree
    from gpumanifests._synth import _render, _synth, synthesize
    from gpumanifests._synth import wiring as _gitops

    argocd_outputs: list[Any] = []
    undo = [
        meter.wrap(_synth, "render_cluster", "render+validate"),
        meter.wrap(_render, "schema_errors", "validate.k8s"),
        meter.wrap(_synth, "wire_argocd", "argocd+validate", capture=argocd_outputs),
        meter.wrap(_gitops, "validate_argocd_object", "validate.argocd"),
        meter.wrap(_synth, "_cluster_files", "serialize"),
    ]
    in_synth = {name: name in vars(_synth) for name in ("plan_cluster", "diagnose")}
    if in_synth["plan_cluster"]:  # synthesize runs the placement proof itself
        undo.append(meter.wrap(_synth, "plan_cluster", "plan"))
    if in_synth["diagnose"]:
        undo.append(meter.wrap(_synth, "diagnose", "consistency"))
    try:
        with meter.phase("construct"):
            app = build_fleet(size)
        with meter.phase("synthesize"):
            synthesis = synthesize(app)
    finally:
        for fn in undo:
            fn()
    try:
        from gpumanifests._placement.plan import plan_cluster
    except ImportError:
        plan_cluster = None
    if plan_cluster is not None and not in_synth["plan_cluster"]:
        with meter.phase("plan"):
            for cluster in app.clusters:
                plan_cluster(cluster)
    with meter.phase("write"):
        write_tree(outdir / "gitops", synthesis.files)
    # derived phases
    t = meter.times
    t["validate"] = t.get("validate.k8s", 0.0) + t.get("validate.argocd", 0.0)
    t["render"] = t["render+validate"] - t.get("validate.k8s", 0.0)
    t["argocd"] = t["argocd+validate"] - t.get("validate.argocd", 0.0)
    t["synth.other"] = t["synthesize"] - t["render+validate"] - t["argocd+validate"] - t["serialize"]
    t["synth.other"] -= t.get("consistency", 0.0)
    if in_synth["plan_cluster"]:
        t["synth.other"] -= t.get("plan", 0.0)
        t["e2e"] = t["construct"] + t["synthesize"] + t["write"]
    else:
        t["e2e"] = t["construct"] + t["synthesize"] + t.get("plan", 0.0) + t["write"]
    # the same objects, with the file each one became
    from gpumanifests._output.layout import cluster_dir, manifest_filename

    pairs: list[tuple[str, dict[str, Any]]] = []
    for render, argocd in zip(synthesis.renders, argocd_outputs, strict=True):
        base = cluster_dir(render.cluster.name)
        for component in render.components:
            for obj in component.objects:
                pairs.append((f"{base}/{component.component.name}/{manifest_filename(obj.manifest)}", obj.manifest))
        for directory, objects in argocd.items():
            for obj in objects:
                pairs.append((f"{base}/{directory}/{manifest_filename(obj.manifest)}", obj.manifest))
    workloads = sum(len(render.workloads()) for render in synthesis.renders)
    return synthesis.files, pairs, workloads


# --------------------------------------------------------------------------------------------
# floor


_FLOOR_VALIDATORS: dict[tuple[str, str], Any] = {}


def _floor_validator(api_version: str, kind: str) -> Any:
    """One compiled validator per kind, with the fastest JSON Schema library at hand (jsonschema-rs)."""
    key = (api_version, kind)
    if key not in _FLOOR_VALIDATORS:
        import re

        import jsonschema_rs
        import kubernetes_validate

        if api_version.startswith("argoproj.io/"):
            schema_file = ROOT / "gpumanifests" / "_schemas" / "argocd" / f"{kind.lower()}.json"
            _FLOOR_VALIDATORS[key] = jsonschema_rs.Draft202012Validator(json.loads(schema_file.read_text()))
        else:
            base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / "v1.33.0-local-strict"
            group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
            schema = json.loads((base / f"{kind.lower()}-{group_version}.json").read_text())
            definitions = json.loads((base / "_definitions.json").read_text())
            _FLOOR_VALIDATORS[key] = jsonschema_rs.Draft202012Validator(schema, retriever=lambda _uri: definitions)
    return _FLOOR_VALIDATORS[key]


def _c_yaml(document: Any) -> str:
    from ruamel.yaml.cyaml import CSafeDumper

    stream = io.StringIO()
    dumper = CSafeDumper(stream, default_flow_style=False, width=2**31 - 1, allow_unicode=True)
    dumper.open()
    dumper.represent(document)
    dumper.close()
    return stream.getvalue()


def run_floor(pairs: list[tuple[str, dict[str, Any]]], meter: Meter, outdir: Path) -> None:
    blob = json.dumps(pairs)
    with meter.phase("construct"):
        objects = json.loads(blob)  # C-speed stand-in for building the dict literals
    with meter.phase("validate"):
        for _, manifest in objects:
            errors = list(_floor_validator(manifest["apiVersion"], manifest["kind"]).iter_errors(manifest))
            assert not errors, errors
    with meter.phase("serialize"):
        files = {path: _c_yaml(manifest).encode() for path, manifest in objects}
    with meter.phase("write"):
        made: set[str] = set()
        for path, content in files.items():
            target = outdir / path
            parent = str(target.parent)
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            with open(target, "wb") as handle:
                handle.write(content)
    with meter.phase("serialize.dump_yaml"):  # informational: the project's canonical C-emitter dump
        from gpumanifests._kube.yaml import dump_yaml

        for _, manifest in objects:
            dump_yaml(manifest)
    t = meter.times
    t["e2e"] = t["construct"] + t["validate"] + t["serialize"] + t["write"]


# --------------------------------------------------------------------------------------------
# naive: typed cdk8s L1 structs


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


_HINTS: dict[Any, tuple[dict[str, Any], dict[str, str]]] = {}


def _hints(fn: Any) -> tuple[dict[str, Any], dict[str, str]]:
    if fn not in _HINTS:
        hints = typing.get_type_hints(fn)
        hints.pop("return", None)
        _HINTS[fn] = (hints, {_norm(param): param for param in hints})
    return _HINTS[fn]


def _to_typed(value: Any, hint: Any, k8s: Any) -> Any:
    """Convert a camelCase manifest value into the typed jsii struct(s) ``hint`` names."""
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if isinstance(value, dict):
            structs = [arg for arg in options if isinstance(arg, type) and arg.__module__.startswith("cdk8s")]
            if structs:
                return _to_typed(value, structs[0], k8s)
            mappings = [
                arg
                for arg in options
                if typing.get_origin(arg) in (dict, typing.Mapping, __import__("collections.abc").abc.Mapping)
            ]
            return _to_typed(value, mappings[0], k8s) if mappings else value
        if isinstance(value, list):
            sequences = [arg for arg in options if typing.get_origin(arg) is not None and typing.get_args(arg)]
            sequences = [arg for arg in sequences if typing.get_origin(arg).__name__ in ("Sequence", "list")]
            return _to_typed(value, sequences[0], k8s) if sequences else value
        return _to_typed(value, options[0], k8s) if len(options) == 1 else value
    if origin is not None and origin.__name__ in ("Sequence", "list"):
        (item,) = typing.get_args(hint)
        return [_to_typed(v, item, k8s) for v in value]
    if origin is not None and origin.__name__ in ("Mapping", "dict"):
        _, item = typing.get_args(hint)
        return {key: _to_typed(v, item, k8s) for key, v in value.items()}
    if hint is k8s.Quantity:
        return k8s.Quantity.from_string(value) if isinstance(value, str) else k8s.Quantity.from_number(value)
    if hint is k8s.IntOrString:
        return k8s.IntOrString.from_string(value) if isinstance(value, str) else k8s.IntOrString.from_number(value)
    if isinstance(hint, type) and isinstance(value, dict) and hint.__module__.startswith("cdk8s"):
        hints, by_norm = _hints(hint.__init__)
        kwargs = {}
        for key, v in value.items():
            param = by_norm[_norm(key)]
            kwargs[param] = _to_typed(v, hints[param], k8s)
        return hint(**kwargs)
    return value


def _naive_construct(pairs: list[tuple[str, dict[str, Any]]]) -> tuple[Any, list[tuple[Any, list[str]]]]:
    import cdk8s

    import gpumanifests as gm

    k8s = gm.k8s
    app = cdk8s.App()
    charts: dict[str, Any] = {}
    chart_files: dict[str, list[str]] = {}
    for n, (path, manifest) in enumerate(pairs):
        directory = path.rsplit("/", 1)[0]
        if directory not in charts:
            charts[directory] = cdk8s.Chart(app, directory.replace("/", "--"), disable_resource_name_hashes=True)
            chart_files[directory] = []
        chart = charts[directory]
        chart_files[directory].append(path)
        kind = manifest["kind"]
        if manifest["apiVersion"].startswith("argoproj.io/"):
            obj = cdk8s.ApiObject(
                chart,
                f"o{n}",
                api_version=manifest["apiVersion"],
                kind=kind,
                metadata=cdk8s.ApiObjectMetadata(
                    **{
                        _hints(cdk8s.ApiObjectMetadata.__init__)[1][_norm(k)]: v
                        for k, v in manifest["metadata"].items()
                    }
                ),
            )
            for key, value in manifest.items():
                if key not in ("apiVersion", "kind", "metadata"):
                    obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
            continue
        cls = getattr(k8s, f"Kube{kind}")
        hints, by_norm = _hints(cls.__init__)
        kwargs = {}
        for key, value in manifest.items():
            if key in ("apiVersion", "kind"):
                continue
            param = by_norm[_norm(key)]
            kwargs[param] = _to_typed(value, hints[param], k8s)
        cls(chart, f"o{n}", **kwargs)
    return app, [(charts[d], chart_files[d]) for d in charts]


def run_naive(pairs: list[tuple[str, dict[str, Any]]], meter: Meter, outdir: Path) -> None:
    import jsonschema
    import kubernetes_validate
    import yaml

    with meter.phase("construct"):
        app, charts = _naive_construct(pairs)
    with meter.phase("render"):
        rendered = [(chart.to_json(), files) for chart, files in charts]
    with meter.phase("validate"):
        for objects, _ in rendered:
            for obj in objects:
                if obj["apiVersion"].startswith("argoproj.io/"):
                    schema_file = ROOT / "gpumanifests" / "_schemas" / "argocd" / f"{obj['kind'].lower()}.json"
                    jsonschema.Draft202012Validator(json.loads(schema_file.read_text())).validate(obj)
                else:
                    kubernetes_validate.validate(obj, "1.33", strict=True)
    with meter.phase("serialize"):
        files = {}
        for objects, paths in rendered:
            assert len(objects) == len(paths)
            for obj, path in zip(objects, paths, strict=True):
                files[path] = yaml.safe_dump(obj, sort_keys=True).encode()
    with meter.phase("write"):
        for path, content in files.items():
            target = outdir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    t = meter.times
    t["e2e"] = t["construct"] + t["render"] + t["validate"] + t["serialize"] + t["write"]
    del app


# --------------------------------------------------------------------------------------------
# one fleet size (child process)


def run_size(size: int, repeat: int, naive_max: int, memory: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    import gpumanifests  # noqa: F401  (jsii node start-up is not part of any phase)

    result: dict[str, Any] = {"size": size, "import_s": time.perf_counter() - t0, "ours": [], "floor": [], "naive": []}
    result["rss"] = {"after_import": rss_checkpoint()}
    pairs: list[tuple[str, dict[str, Any]]] = []
    for rep in range(repeat):
        meter = Meter()
        with tempfile.TemporaryDirectory(prefix="fleet-ours-") as tmp:
            files, pairs, workloads = run_ours(size, meter, Path(tmp))
        result["ours"].append(meter.times)
        result["files"], result["objects"], result["workloads"] = len(files), len(pairs), workloads
        del files
        gc.collect()
        if rep == 0:
            result["rss"]["after_ours_rep1"] = rss_checkpoint()
    result["rss"]["after_ours"] = rss_checkpoint()
    if memory:
        tracemalloc.start()
        meter = Meter(memory=True)
        with tempfile.TemporaryDirectory(prefix="fleet-ours-") as tmp:
            run_ours(size, meter, Path(tmp))
        result["ours_tracemalloc_peak_bytes"] = meter.peaks
        result["ours_tracemalloc_total_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        gc.collect()
    for _ in range(repeat):
        meter = Meter()
        with tempfile.TemporaryDirectory(prefix="fleet-floor-") as tmp:
            run_floor(pairs, meter, Path(tmp))
        result["floor"].append(meter.times)
    if memory:
        tracemalloc.start()
        meter = Meter(memory=True)
        with tempfile.TemporaryDirectory(prefix="fleet-floor-") as tmp:
            run_floor(pairs, meter, Path(tmp))
        result["floor_tracemalloc_peak_bytes"] = meter.peaks
        tracemalloc.stop()
    result["rss"]["after_floor"] = rss_checkpoint()
    if size <= naive_max:
        for _ in range(repeat):
            meter = Meter()
            with tempfile.TemporaryDirectory(prefix="fleet-naive-") as tmp:
                run_naive(pairs, meter, Path(tmp))
            result["naive"].append(meter.times)
            gc.collect()
        result["rss"]["after_naive"] = rss_checkpoint()
    return result


# --------------------------------------------------------------------------------------------
# gpumanifests check on the shipped apps

_CHECK_SNIPPET = """
import time, io, contextlib, json, sys
t0 = time.perf_counter()
import gpumanifests._cli.main as cli
t1 = time.perf_counter()
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    rc = cli.main(["check"])
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "check_s": t2 - t1, "rc": rc, "stdout_tail": out.getvalue()[-300:],
                  "stderr_tail": err.getvalue()[-300:]}))
"""


def time_check(repeat: int) -> list[dict[str, Any]]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _CHECK_SNIPPET], cwd=ROOT, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
        try:
            data = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            data = {"error": proc.stderr[-2000:]}
        data["process_wall_s"] = wall
        runs.append(data)
    return runs


# --------------------------------------------------------------------------------------------
# report


def _median(runs: list[dict[str, float]], key: str) -> float | None:
    values = [run[key] for run in runs if key in run]
    return statistics.median(values) if values else None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:9.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if not a or not b else f"{a / b:.2f}x"


def report(results: list[dict[str, Any]], check: list[dict[str, Any]], naive_max: int, repeat: int) -> None:
    print(f"# fleet benchmark: {platform.python_version()}, {os.cpu_count()} cpus, {_cpu_model()}")
    print(f"# medians over {repeat} repetition(s); seconds; naive runs only for sizes <= {naive_max} (--naive-max)")
    ours_rows = [
        "construct",
        "render",
        "validate",
        "argocd",
        "serialize",
        "plan",
        "consistency",
        "synth.other",
        "synthesize",
        "write",
        "e2e",
    ]
    by_size = {}
    for res in results:
        size = res["size"]
        by_size[size] = res
        print(
            f"\n## {size} workloads: {res['objects']} objects, {res['files']} files, "
            f"{res['workloads']} workloads rendered (import gpumanifests: {res['import_s']:.2f}s)"
        )
        print(f"{'phase':<22}{'ours':>10}{'floor':>10}{'naive':>10}   ours py-peak MiB (tracemalloc)")
        peaks = res.get("ours_tracemalloc_peak_bytes", {})
        mapping = {
            "construct": ("construct", "construct"),
            "render": (None, "render"),
            "validate": ("validate", "validate"),
            "serialize": ("serialize", "serialize"),
            "write": ("write", "write"),
            "e2e": ("e2e", "e2e"),
        }
        peak_key = {
            "validate": "validate.k8s",
            "render": "render+validate",
            "argocd": "argocd+validate",
        }
        for row in ours_rows:
            ours = _median(res["ours"], row)
            floor_key, naive_key = mapping.get(row, (None, None))
            floor = _median(res["floor"], floor_key) if floor_key else None
            naive = _median(res["naive"], naive_key) if naive_key and res["naive"] else None
            peak = peaks.get(peak_key.get(row, row))
            peak_text = f"{peak / 2**20:10.1f}" if peak is not None else "         -"
            if row == "plan" and ours is None:
                print(f"{row:<22}{'absent':>10}{'':>10}{'':>10}   (gpumanifests._placement.plan not importable)")
                continue
            print(f"{row:<22}{_fmt(ours):>10}{_fmt(floor):>10}{_fmt(naive):>10}   {peak_text}")
        print(f"{'floor serialize via dump_yaml':<22}{'':>10}{_fmt(_median(res['floor'], 'serialize.dump_yaml')):>10}")
        ours_e2e = _median(res["ours"], "e2e")
        floor_e2e = _median(res["floor"], "e2e")
        naive_e2e = _median(res["naive"], "e2e") if res["naive"] else None
        print(
            f"ours/floor (e2e): {_ratio(ours_e2e, floor_e2e)}   naive/ours (e2e): {_ratio(naive_e2e, ours_e2e)}"
            + ("" if res["naive"] else f"   (naive skipped: size > --naive-max {naive_max})")
        )
        if "ours_tracemalloc_total_peak_bytes" in res:
            print(
                f"ours tracemalloc total peak (Python heap): {res['ours_tracemalloc_total_peak_bytes'] / 2**20:.1f} MiB"
            )
        for label, rss in res["rss"].items():
            print(
                f"RSS {label:<16} python max {rss['python_maxrss_mib']:8.1f} MiB"
                f"   jsii node now {rss['node_rss_mib']:8.1f} / peak {rss['node_hwm_mib']:8.1f} MiB"
                f"   python+node peak {rss['total_peak_mib']:8.1f} MiB"
            )
    if 1000 in by_size and 10000 in by_size:
        a, b = _median(by_size[10000]["ours"], "e2e"), _median(by_size[1000]["ours"], "e2e")
        print(f"\nours 10k/1k (e2e): {_ratio(a, b)}")
    sizes = sorted(by_size)
    for small, large in itertools.pairwise(sizes):
        a, b = _median(by_size[large]["ours"], "e2e"), _median(by_size[small]["ours"], "e2e")
        print(f"ours {large}/{small} (e2e): {_ratio(a, b)}")
    if check:
        print("\n## gpumanifests check on the shipped apps (fresh interpreter each run)")
        for key in ("import_s", "check_s", "process_wall_s"):
            runs = [round(run.get(key, float("nan")), 3) for run in check]
            print(f"{key:<16}{_fmt(_median(check, key))}   runs: {runs}")
        print(f"exit codes: {[run.get('rc') for run in check]}")
        if any(run.get("rc") for run in check):
            print("check output tail:", check[0].get("stderr_tail") or check[0].get("error"))


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown cpu"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-max", type=int, default=1000, help="run naive only up to this size (default 1000)")
    parser.add_argument("--json", type=Path, help="save the raw numbers here")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc pass")
    parser.add_argument("--no-check", action="store_true", help="skip timing `gpumanifests check`")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(run_size(args.child, args.repeat, args.naive_max, not args.no_memory)))
        return 0
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        command = [
            sys.executable,
            __file__,
            "--child",
            str(size),
            "--repeat",
            str(args.repeat),
            "--naive-max",
            str(args.naive_max),
        ]
        if args.no_memory:
            command.append("--no-memory")
        print(f"... running {size} workloads", file=sys.stderr, flush=True)
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    check = [] if args.no_check else time_check(max(args.repeat, 3))
    report(results, check, args.naive_max, args.repeat)
    if args.json:
        info = {"python": platform.python_version(), "nproc": os.cpu_count(), "cpu": _cpu_model()}
        args.json.write_text(json.dumps({"machine": info, "sizes": results, "check": check}, indent=1))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
