"""The ``gpumanifests`` command line: synth, check, diff, plan and migrate.

Exit codes: 0 success; 1 invalid input, a failed check, or drift; 2 a usage error.
Errors are printed as messages, never as tracebacks.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from gpumanifests._cli.commands import COMMANDS
from gpumanifests._errors import ExitCode, GpuManifestsError, UsageError, shortened

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["console_main", "main", "run_reporting_errors"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gpumanifests",
        description="Synthesize typed GPU/CPU Kubernetes workloads and node profiles into a GitOps tree.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--apps", type=Path, default=Path("apps"), help="directory of app files (default: apps)")
    common.add_argument("--out", type=Path, default=Path("gitops"), help="generated tree (default: gitops)")
    common.add_argument("--strict", action="store_true", help="treat warnings as errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (handler, text, add_arguments) in COMMANDS.items():
        sub = commands.add_parser(name, parents=[common], help=text, description=text)
        if add_arguments is not None:
            add_arguments(sub)
        sub.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    return run_reporting_errors(lambda: _checked_paths(args).handler(args))


def console_main() -> NoReturn:
    """The ``gpumanifests`` executable and ``python -m gpumanifests``: :func:`main`, then the process ends.

    The ``atexit`` handlers run (jsii's stops Node.js and removes its temporary files; an app's
    own run too), stdout and stderr are flushed, and the process ends without the interpreter's
    teardown: freeing every construct and object of a large fleet one by one is work nobody needs
    at exit (mypy exits the same way).
    """
    code = main()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach the reader
            code = code or ExitCode.FAILED
    os._exit(code)


def _checked_paths(args: argparse.Namespace) -> argparse.Namespace:
    """``--apps`` and ``--out`` resolved before any app runs (which then cannot move them: the loader restores the
    working directory after each app), and kept apart: synth replaces the whole ``--out`` tree."""
    apps, out = args.apps.resolve(), args.out.resolve()
    if out == apps or apps in out.parents or out in apps.parents:
        raise UsageError(
            f"--out {args.out} and --apps {args.apps} overlap; synth replaces the whole --out tree, "
            "so it must be a directory of its own beside the apps"
        )
    return args


def run_reporting_errors(action: Callable[[], int]) -> int:
    """Run a command; errors become a message on stderr and an exit code, never a traceback."""
    try:
        return int(action())
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except GpuManifestsError as error:
        print(f"error: {error}", file=sys.stderr)
        return ExitCode.FAILED
    except OSError as error:  # the file system refused something no check foresaw
        print(f"error: {error.strerror or error}: {error.filename or ''}", file=sys.stderr)
        return ExitCode.FAILED
    except KeyboardInterrupt:
        print("interrupted; the tree holds either the previous or the new synth, never a mix", file=sys.stderr)
        return ExitCode.FAILED
    except Exception as error:
        print(
            f"error: gpumanifests failed unexpectedly ({type(error).__name__}: {shortened(str(error))}); "
            "nothing was written; this is a bug in gpumanifests, please report it with the apps that cause it",
            file=sys.stderr,
        )
        return ExitCode.FAILED
