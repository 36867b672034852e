"""What the Pod Security and pod reference checks cost inside the render of a fleet, in one process.

    python benchmarks/pod_checks.py APPS

Loads the apps, then renders every cluster with ``_pod_security_level`` and ``_check_references``
timed, and prints their seconds beside the whole render's and the number of pod templates.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from gpumanifests._synth import render
from gpumanifests._synth.loader import load_apps


def _timed(spent: dict[str, float], name: str) -> None:
    function = getattr(render, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start

    spent[name] = 0.0
    setattr(render, name, timed)


def main(apps: Path) -> None:
    spent: dict[str, float] = {}
    for name in ("_pod_security_level", "_check_references"):
        _timed(spent, name)
    app = load_apps(apps)
    start = time.perf_counter()
    for cluster in app.clusters:
        render.render_cluster(cluster)
    total = time.perf_counter() - start
    templates = sum(len(cluster.workloads()) for cluster in app.clusters)
    checks = ", ".join(f"{name} {seconds:.3f}" for name, seconds in spent.items())
    print(f"render {total:.3f} s for {templates} pod templates: {checks}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
