"""gpumanifests: GPU and CPU Kubernetes workloads and their node profiles, as typed Python.

Declare clusters, node profiles and workloads with CDK-style constructs, then ``gpumanifests
synth`` writes a deterministic, validated ``gitops/`` tree that Argo CD deploys. This module
defines nothing: it points jsii at its Node.js and re-exports the public names (``__all__``)
of ``_api.py``, which it imports on the first use of one, so the command line can answer a
cached ``check`` without starting Node.js.
"""

import importlib as _importlib
import typing as _typing

from gpumanifests._runtime import configure_jsii_node as _configure_jsii_node

_configure_jsii_node()

if _typing.TYPE_CHECKING:
    from gpumanifests._api import *  # noqa: F403
    from gpumanifests._api import __all__ as __all__


def __getattr__(name: str) -> object:
    """A public name (or ``__all__``): the first one asked for imports them all."""
    if name.startswith("_") and name != "__all__":  # private names and submodules are never looked up here
        raise AttributeError(f"module 'gpumanifests' has no attribute {name!r}")
    api = _importlib.import_module("gpumanifests._api")
    if name != "__all__" and name not in api.__all__:
        raise AttributeError(f"module 'gpumanifests' has no attribute {name!r}")
    namespace = globals()
    namespace.update({public: getattr(api, public) for public in api.__all__})
    namespace["__all__"] = api.__all__
    return namespace[name]
