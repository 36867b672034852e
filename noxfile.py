# /// script
# dependencies = ["nox>=2024.4.15"]
# ///
"""Project automation: ``nox -s synth`` regenerates gitops/, ``nox -s tests`` runs every check."""

from __future__ import annotations

import nox

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]


@nox.session
def synth(session: nox.Session) -> None:
    """Regenerate gitops/ from apps/ (atomic; removes files it generated before and no longer does)."""
    session.install("-e", ".")
    session.run("gpumanifests", "synth", *session.posargs)


@nox.session
def check(session: nox.Session) -> None:
    """Fail with a diff when gitops/ differs from a fresh synth."""
    session.install("-e", ".")
    session.run("gpumanifests", "check", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format), strict mypy on the package, and the layer contract (import-linter)."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    session.run("lint-imports")


@nox.session
def tests(session: nox.Session) -> None:
    """Everything CI runs: lint, typecheck, the drift check and the test suite."""
    session.install("-e", ".[test,lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    session.run("lint-imports")
    session.run("gpumanifests", "check")
    session.run("pytest", "-n", "2", *session.posargs)


@nox.session
def schemas(session: nox.Session) -> None:
    """Regenerate the vendored CRD schemas and built-in kind scopes from upstream (needs GitHub and PyPI)."""
    session.install("pyyaml")
    session.run("python", "tools/refresh_schemas.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Fleet benchmark: whole processes, ours against the floor and the naive cdk8s path (see benchmarks/)."""
    session.install("-e", ".[test]")
    arguments = session.posargs or ["--sizes", "1000,10000", "--repeat", "3"]
    session.run("python", "benchmarks/fleet.py", *arguments)
