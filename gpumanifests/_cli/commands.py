"""The commands of the command line: each loads the apps, calls the library, and prints.

With ``main.py`` (the parser and the error reporting) this is the only code that parses
arguments or prints; every command's work is a library call that returns data (a synthesis,
a plan, a migration report, the changes a synth would make). Each command imports the library
when it runs, so a ``check`` the cache answers loads neither the constructs nor Node.js.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpumanifests._errors import ExitCode, UsageError, listed
from gpumanifests._synth.cache import SynthCache, cache_options

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterable, Iterator

    from gpumanifests._constructs.app import GitOpsApp
    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.profiles import NodeProfile
    from gpumanifests._output.compare import TreeDiff
    from gpumanifests._synth.pipeline import Synthesis

__all__ = [
    "COMMANDS",
    "add_cache_argument",
    "add_migrate_arguments",
    "add_plan_arguments",
    "run_diff",
    "run_migrate",
    "run_plan",
]


def add_cache_argument(parser: argparse.ArgumentParser) -> None:
    """``--no-cache``: render every app, neither reading nor writing the cache beside the tree."""
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="render every app; do not read or write the cache beside the tree (.<out>.cache)",
    )


def _synthesize(args: argparse.Namespace) -> Synthesis:
    from gpumanifests._synth.pipeline import synthesize_apps

    synthesis = synthesize_apps(args.apps, args.out, strict=args.strict, cached=not args.no_cache)
    _print_warnings(synthesis.warnings)
    return synthesis


def _print_warnings(warnings: Iterable[object]) -> None:
    for warning in warnings:
        print(warning, file=sys.stderr)


def _cmd_synth(args: argparse.Namespace) -> int:
    synthesis = _synthesize(args)
    synthesis.write(args.out)
    clusters = ", ".join(synthesis.clusters)
    print(f"synthesized {len(synthesis.files)} files for {clusters} into {args.out}")
    return ExitCode.OK


def _cmd_check(args: argparse.Namespace) -> int:
    if not args.no_cache:
        cache = SynthCache(args.apps, args.out, cache_options(strict=args.strict))
        unchanged = cache.unchanged_tree()
        if unchanged is not None:  # every app as cached, the tree exactly as they produced: nothing to render
            _print_warnings(cache.warnings(unchanged))
            print(f"{args.out} is up to date ({sum(len(group.files) for group in unchanged)} generated files)")
            return ExitCode.OK
    synthesis = _synthesize(args)
    drift = synthesis.drift(args.out)
    if not drift:
        print(f"{args.out} is up to date ({len(synthesis.files)} generated files)")
        return ExitCode.OK
    sys.stdout.write(drift.patch)
    print(_drift_summary(args.out, drift), file=sys.stderr)
    return ExitCode.FAILED


def _cmd_diff(args: argparse.Namespace) -> int:
    return run_diff(args, _synthesize(args))


def run_diff(args: argparse.Namespace, synthesis: Synthesis) -> int:
    """Print what writing ``synthesis`` into ``--out`` would change; always 0 (errors raise OutputError)."""
    from gpumanifests._synth.diff import review_diff

    sys.stdout.write(review_diff(args.out, synthesis.files))
    return ExitCode.OK


def _load_apps(args: argparse.Namespace) -> GitOpsApp:
    from gpumanifests._synth.loader import load_apps

    return load_apps(args.apps, strict=args.strict)


def _cmd_plan(args: argparse.Namespace) -> int:
    return run_plan(args, _load_apps(args))


def _cmd_migrate(args: argparse.Namespace) -> int:
    check_migrate_arguments(args)
    return run_migrate(args, _load_apps(args))


def add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``plan`` subcommand's arguments: an optional cluster name, ``--nodes FILE``, ``--json``."""
    parser.add_argument("cluster", nargs="?", help="the cluster to plan (default: every cluster)")
    parser.add_argument(
        "--nodes",
        type=Path,
        metavar="FILE",
        help="plan against the nodes of `kubectl get nodes -o json` instead of the declared ones",
    )
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")


def run_plan(args: argparse.Namespace, app: GitOpsApp) -> int:
    """Plan the selected clusters; 0 without violations, 1 listing them. An unknown cluster, or a
    ``--nodes`` file that cannot be read or holds no Node objects, is a :class:`UsageError`.
    """
    from gpumanifests._placement.nodes import load_node_objects
    from gpumanifests._placement.plan import plan_cluster

    clusters = _selected_clusters(args, app)
    nodes: list[dict[str, Any]] | None = None
    if args.nodes is not None:
        try:
            nodes = load_node_objects(args.nodes)
        except ValueError as error:
            raise UsageError(f"--nodes: {error}; pass a file written by `kubectl get nodes -o json > FILE`") from None
    plans = [plan_cluster(cluster, nodes) for cluster in clusters]
    if args.json:
        print(json.dumps({"clusters": [plan.to_json() for plan in plans]}, indent=2))
    else:
        print("\n".join(plan.format_table() for plan in plans), end="")
    violations = [problem for plan in plans for problem in plan.violations]
    for problem in violations:
        print(problem, file=sys.stderr)
    if violations:
        print(f"plan failed with {len(violations)} violation(s)", file=sys.stderr)
        return ExitCode.FAILED
    return ExitCode.OK


def _selected_clusters(args: argparse.Namespace, app: GitOpsApp) -> list[Cluster]:
    """The named cluster, or every cluster (``--nodes`` describes one cluster, so it needs a name)."""
    if args.cluster is not None:
        return [app.cluster(args.cluster)]
    if args.nodes is not None and len(app.clusters) != 1:
        known = ", ".join(cluster.name for cluster in app.clusters) or "none"
        raise UsageError(f"--nodes needs a cluster name; the apps declare: {known}")
    return list(app.clusters)


def _catalog() -> dict[str, NodeProfile]:
    from gpumanifests._constructs.profiles import NodeProfile

    return {profile.name: profile for profile in NodeProfile.catalog() if profile.is_gpu}


class _CatalogNames:
    """The names of the catalog's GPU profiles, looked up only when ``--to-profile`` is given or shown."""

    def __contains__(self, name: object) -> bool:
        return name in _catalog()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(_catalog()))


def add_migrate_arguments(parser: argparse.ArgumentParser) -> None:
    """``migrate SOURCE TARGET`` or ``migrate SOURCE --to-profile NAME``."""
    parser.add_argument("source", help="the cluster whose workloads move")
    parser.add_argument("target", nargs="?", help="the cluster they move to (its workloads are paired by name)")
    parser.add_argument(
        "--to-profile",
        choices=_CatalogNames(),
        metavar="PROFILE",  # a metavar keeps argparse from listing the choices (importing the catalog) at start
        help="instead of a target cluster: the source cluster with its GPU profiles replaced by this catalog "
        "profile, one of %(choices)s",
    )


def check_migrate_arguments(args: argparse.Namespace) -> None:
    """Refuse a call naming both or neither of a target cluster and ``--to-profile`` (before loading apps)."""
    if (args.target is None) == (args.to_profile is None):
        raise UsageError("give either a target cluster or --to-profile, not both and not neither")


def run_migrate(args: argparse.Namespace, app: GitOpsApp) -> int:
    """Print the migration report; an unknown cluster is a usage error, an unfit one a :class:`MigrationError`."""
    from gpumanifests._synth.migration import migration_report, retarget_cluster

    source = app.cluster(args.source)
    if args.to_profile is not None:
        target = retarget_cluster(source, _catalog()[args.to_profile])
    else:
        target = app.cluster(args.target)
    sys.stdout.write(migration_report(source, target).format())
    return ExitCode.OK


def _drift_summary(out: Path, drift: TreeDiff) -> str:
    """One line: how the tree differs, and what the user does about each kind of difference."""
    sizes = zip(
        ("changed", "missing", "stale", "extra"), (drift.changed, drift.missing, drift.stale, drift.extra), strict=True
    )
    counts = ", ".join(f"{len(paths)} {what}" for what, paths in sizes)
    advice = []
    if drift.edited:
        advice.append(
            f"edited by hand since the last synth: {listed(list(drift.edited))}; restore them from git "
            "(git checkout -- FILE): synth refuses to overwrite them"
        )
    if set(drift.changed) - set(drift.edited) or drift.missing or set(drift.stale) - set(drift.edited):
        advice.append("the apps now generate a different tree: run `gpumanifests synth` and commit the result")
    if drift.extra:
        advice.append(
            f"extra files are not generated by gpumanifests and must be moved by hand: {listed(list(drift.extra))}"
        )
    return f"{out} differs from a fresh synth: {counts}; " + "; ".join(advice)


_Command = tuple["Callable[[argparse.Namespace], int]", str, "Callable[[argparse.ArgumentParser], None] | None"]
COMMANDS: dict[str, _Command] = {
    "synth": (
        _cmd_synth,
        "regenerate the tree from the apps (atomic; removes stale generated files)",
        add_cache_argument,
    ),
    "check": (_cmd_check, "fail with a diff when the tree differs from a fresh synth", add_cache_argument),
    "diff": (_cmd_diff, "show what a synth would change, per cluster and Application", add_cache_argument),
    "plan": (_cmd_plan, "prove where every workload lands, with kube-scheduler's filter rules", add_plan_arguments),
    "migrate": (_cmd_migrate, "report what changes between two clusters or two GPU profiles", add_migrate_arguments),
}
