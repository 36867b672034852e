"""Fleet benchmark: whole processes, interleaved, ours against the floor and the naive path.

For each fleet size (ten app files, see ``fleet_apps.py``), in one run and on the same objects::

    python benchmarks/fleet.py --sizes 1000,10000 --repeat 3 [--naive-max 1000] [--json FILE]

Every repetition runs, one after the other (so machine load falls on all of them alike), each
as a fresh process timed from its start to its exit (interpreter start included):

* **synth**: ``python -m gpumanifests synth`` into a new directory (no cache exists there yet);
* **floor**: ``benchmarks/floor.py``, the same objects as dicts, one compiled validator per kind
  (jsonschema-rs), PyYAML's ``CSafeDumper``, one file each;
* **naive**: ``benchmarks/naive.py``, cdk8s ``App``/``Chart`` with typed L1 constructs,
  ``kubernetes_validate.validate()`` per object, ``app.synth()`` (only up to ``--naive-max``);
* **check**: ``gpumanifests check`` on a synthesized tree, nothing changed (its cache is warm);
* **synth, one app changed**: one image changed in one of the ten app files, then ``synth``;
* **phases**: ``benchmarks/phases.py``, ours in one process, phase by phase, with jsii round trips.

Peak memory is the process's peak resident set plus that of its child processes (the jsii
Node.js process), each the kernel's high-water mark (``VmHWM``) sampled from ``/proc`` every
50 ms by a thread (``wait4``'s maximum would include the benchmark's own memory at the fork); the
wall time is exact, taken when ``wait4`` returns. Before every process the file system's pending
writes are flushed (``os.sync``: otherwise whichever path runs after a large deletion waits on
it), and the load average is recorded.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml
from fleet_apps import change_one_image, write_fleet

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
_SAMPLE_SECONDS = 0.05


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found += [int(child) for child in handle.read().split()]
    return found


def _peak_kib(pid: int) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _sample_peaks(pid: int, peaks: dict[int, int], done: threading.Event) -> None:
    """Record the high-water mark of ``pid`` and its children every 50 ms until ``done``."""
    while not done.is_set():
        for process in (pid, *_children(pid)):
            peaks[process] = max(peaks.get(process, 0), _peak_kib(process))
        done.wait(_SAMPLE_SECONDS)


def run(command: list[str], cwd: Path) -> dict[str, Any]:
    """Run ``command`` as a fresh process: wall seconds, exit code, stdout, and peak memory (MiB).

    The file system's pending writes are flushed first (``os.sync``), so no process pays for the
    deletions of the one before it; the wall time ends when ``wait4`` returns (memory is sampled
    by a thread meanwhile).
    """
    os.sync()
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=stderr)
        peaks: dict[int, int] = {}
        done = threading.Event()
        sampler = threading.Thread(target=_sample_peaks, args=(process.pid, peaks, done))
        sampler.start()
        _, status, _ = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        output, errors = stdout.read().decode(), stderr.read().decode()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{errors[-3000:]}")
    return {
        "wall": wall,
        "exit": process.returncode,
        "stdout": output,
        "peak_mib": sum(peaks.values()) / 1024,
        "load": load,
    }


def _gpumanifests(*arguments: str) -> list[str]:
    return [PYTHON, "-m", "gpumanifests", *arguments]


def _objects(tree: Path, objects_file: Path) -> int:
    """The manifests of a synthesized tree as ``[path, manifest]`` pairs, for the floor and the naive path."""
    pairs = []
    for path in sorted(tree.rglob("*.yaml")):
        pairs.append([path.relative_to(tree).as_posix(), yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)])
    objects_file.write_text(json.dumps(pairs), encoding="utf-8")
    return len(pairs)


def bench_size(size: int, repeat: int, naive_max: int, work: Path) -> dict[str, Any]:
    apps, tree = work / "apps", work / "tree" / "gitops"
    write_fleet(apps, size)
    tree.parent.mkdir()
    run(_gpumanifests("synth", "--apps", str(apps), "--out", str(tree)), ROOT)
    objects_file = work / "objects.json"
    result: dict[str, Any] = {"size": size, "objects": _objects(tree, objects_file), "runs": {}}
    result["files"] = len(json.loads((tree / ".gpumanifests.json").read_text("utf-8"))["files"])
    runs: dict[str, list[dict[str, Any]]] = result["runs"]
    for rep in range(repeat):
        fresh = work / f"fresh-{rep}"
        fresh.mkdir()
        steps = {
            "synth": _gpumanifests("synth", "--apps", str(apps), "--out", str(fresh / "gitops")),
            "floor": [PYTHON, str(HERE / "floor.py"), str(objects_file), str(fresh / "floor")],
            "naive": [PYTHON, str(HERE / "naive.py"), str(objects_file), str(fresh / "naive")],
            "check": _gpumanifests("check", "--apps", str(apps), "--out", str(tree)),
            "synth, one app changed": _gpumanifests("synth", "--apps", str(apps), "--out", str(tree)),
            "phases": [PYTHON, str(HERE / "phases.py"), str(apps), str(fresh / "phases")],
        }
        if size > naive_max:
            del steps["naive"]
        for name, command in steps.items():
            if name == "synth, one app changed":
                change_one_image(apps, rep)
            outcome = run(command, ROOT)
            if name == "check" and outcome["exit"] != 0:
                raise SystemExit(f"check found drift in an unchanged tree:\n{outcome['stdout'][-3000:]}")
            progress = f"  {size} #{rep + 1} {name:<24} {outcome['wall']:7.3f} s  load {outcome['load']:.2f}"
            print(progress, file=sys.stderr)
            runs.setdefault(name, []).append(outcome)
        shutil.rmtree(fresh)
    return result


def _median(runs: list[dict[str, Any]], key: str = "wall") -> float:
    return statistics.median(run[key] for run in runs)


def _phase_table(runs: list[dict[str, Any]]) -> list[str]:
    phases = [json.loads(run["stdout"]) for run in runs]
    names = list(phases[0]["seconds"])
    lines = [f"    {'phase':<20}{'seconds':>9}{'jsii trips':>12}{'jsii s':>9}"]
    for name in names:
        seconds = statistics.median(phase["seconds"].get(name, 0.0) for phase in phases)
        trips = statistics.median(phase["jsii_round_trips"].get(name, 0) for phase in phases)
        jsii = statistics.median(phase["jsii_seconds"].get(name, 0.0) for phase in phases)
        lines.append(f"    {name:<20}{seconds:9.3f}{trips:12.0f}{jsii:9.3f}")
    return lines


def _floor_phases(runs: list[dict[str, Any]]) -> str:
    phases = [json.loads(run["stdout"]) for run in runs]
    return ", ".join(f"{name} {statistics.median(p[name] for p in phases):.3f}" for name in phases[0])


def report(results: list[dict[str, Any]], repeat: int) -> list[str]:
    loads = [run["load"] for result in results for runs in result["runs"].values() for run in runs]
    lines = [
        f"# fleet benchmark: Python {platform.python_version()}, {os.cpu_count()} cpus, {_cpu_model()}",
        f"# whole processes (interpreter start to exit), median of {repeat}, seconds;"
        f" load average before each process {min(loads):.2f}-{max(loads):.2f}",
    ]
    by_size = {result["size"]: result for result in results}
    for size, result in by_size.items():
        runs = result["runs"]
        synth = _median(runs["synth"])
        lines.append(f"\n## {size} workloads: {result['objects']} objects, {result['files']} files")
        for name, measured in runs.items():
            if name == "phases":
                continue
            walls = [run["wall"] for run in measured]
            peak = max(run["peak_mib"] for run in measured)
            lines.append(
                f"  {name:<24}{_median(measured):8.3f}   ({min(walls):.3f}-{max(walls):.3f})"
                f"   {_median(measured) / synth:6.2f}x synth   peak {peak:6.0f} MiB"
            )
        lines.append(f"  synth / floor: {synth / _median(runs['floor']):.2f}x")
        if "naive" in runs:
            lines.append(f"  naive / synth: {_median(runs['naive']) / synth:.1f}x")
        lines.append(f"  floor phases: {_floor_phases(runs['floor'])}")
        if "naive" in runs:
            lines.append(f"  naive phases: {_floor_phases(runs['naive'])}")
        lines.append("  ours by phase (one process, benchmarks/phases.py):")
        lines += _phase_table(runs["phases"])
    sizes = sorted(by_size)
    for small, large in itertools.pairwise(sizes):
        ratio = _median(by_size[large]["runs"]["synth"]) / _median(by_size[small]["runs"]["synth"])
        lines.append(f"\nsynth {large} / {small}: {ratio:.2f}x")
    return lines


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown cpu"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="workloads per fleet, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-max", type=int, default=1000, help="run the naive path only up to this size")
    parser.add_argument("--json", type=Path, help="also save every measurement here")
    args = parser.parse_args()
    results = []
    for size in (int(text) for text in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix=f"fleet-{size}-") as work:
            results.append(bench_size(size, args.repeat, args.naive_max, Path(work)))
    print("\n".join(report(results, args.repeat)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
