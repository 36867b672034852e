"""Ours, phase by phase, in one process: ``python benchmarks/phases.py APPS OUT``.

Times the import of gpumanifests (Node.js start-up for jsii included), loading the app files
(constructing the fleet), the steps of ``synthesize`` (render and validate, Argo CD wiring,
placement proof, serialization) and the atomic write, each step timed around the pipeline's own
functions; counts the jsii round trips (requests to the Node.js process) of each phase and
the time spent in them. Prints the result as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

_SYNTH_STEPS = {
    "render_cluster": "render+validate",
    "wire_argocd": "argocd",
    "plan_cluster": "plan",
    "diagnose": "plan",
    "_cluster_files": "serialize",
    "_fleet_files": "serialize",
}


class Meter:
    """Wall time and jsii round trips per phase; a phase inside another is charged to the inner one only."""

    def __init__(self) -> None:
        self.times: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.jsii_times: Counter[str] = Counter()
        self._stack: list[str] = []

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        self._stack.append(name)
        try:
            yield
        finally:
            self._stack.pop()
            spent = time.perf_counter() - start
            self.times[name] += spent
            if self._stack:
                self.times[self._stack[-1]] -= spent

    def count_jsii(self, spent: float) -> None:
        where = self._stack[-1] if self._stack else "outside"
        self.calls[where] += 1
        self.jsii_times[where] += spent

    def wrap(self, module: Any, attribute: str, name: str) -> None:
        original: Callable[..., Any] = getattr(module, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name):
                return original(*args, **kwargs)

        setattr(module, attribute, timed)


def _count_round_trips(meter: Meter) -> None:
    """Every request jsii sends to its Node.js process goes through ``_NodeProcess.send``."""
    from jsii._kernel.providers import process

    send = process._NodeProcess.send

    def counted(self: Any, request: Any, response_type: Any) -> Any:
        start = time.perf_counter()
        try:
            return send(self, request, response_type)
        finally:
            meter.count_jsii(time.perf_counter() - start)

    process._NodeProcess.send = counted


def main(apps: Path, out: Path) -> dict[str, Any]:
    meter = Meter()
    with meter.phase("import"):
        _count_round_trips(meter)  # before gpumanifests loads the cdk8s assemblies into Node.js
        import gpumanifests as gm
        from gpumanifests._synth import pipeline
    for attribute, name in _SYNTH_STEPS.items():
        meter.wrap(pipeline, attribute, name)
    with meter.phase("load"):
        app = gm.load_apps(apps)
    with meter.phase("synthesize (rest)"):
        synthesis = gm.synthesize(app)
    with meter.phase("write"):
        synthesis.write(out)
    workloads = sum(len(cluster.workloads()) for cluster in app.clusters)
    return {
        "seconds": dict(meter.times),
        "jsii_round_trips": dict(meter.calls),
        "jsii_seconds": dict(meter.jsii_times),
        "workloads": workloads,
        "files": len(synthesis.files),
    }


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
