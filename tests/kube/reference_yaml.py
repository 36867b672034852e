"""Frozen copy of ``gpumanifests._kube.yaml.dump_yaml`` before its speed-up: the byte-identity reference.

Do not edit: the identity tests compare the live writer against this one. It builds ruamel.yaml nodes and
lets the C emitter resolve every scalar, exactly as the original module did.
"""

from __future__ import annotations

import io
import math
from typing import Any

from ruamel.yaml.cyaml import CEmitter  # type: ignore[attr-defined]  # re-exported from the C extension
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import BaseResolver, implicit_resolvers
from ruamel.yaml.tag import Tag

__all__ = ["reference_dump_yaml"]

_FIRST_KEYS = ("apiVersion", "kind", "metadata", "name", "namespace")
_KEY_RANK = {key: rank for rank, key in enumerate(_FIRST_KEYS)}
_STR, _MAP, _SEQ, _INT, _FLOAT, _BOOL, _NULL = (
    Tag(suffix=f"tag:yaml.org,2002:{name}") for name in ("str", "map", "seq", "int", "float", "bool", "null")
)


class _AnyVersionResolver(BaseResolver):
    """Resolves plain scalars as both YAML 1.1 and 1.2 would, so the emitter quotes every trap."""


for _versions, _tag, _regexp, _first in implicit_resolvers:
    _AnyVersionResolver.add_implicit_resolver_base(_tag, _regexp, _first)


class _Dumper(CEmitter, _AnyVersionResolver):  # type: ignore[misc]
    def __init__(self, stream: io.StringIO) -> None:
        CEmitter.__init__(self, stream, width=2**31 - 1, allow_unicode=True, line_break="\n")
        _AnyVersionResolver.__init__(self)


def _key_order(key: str) -> tuple[int, str]:
    return (_KEY_RANK.get(key, len(_FIRST_KEYS)), key)


def _float_text(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def _node(value: Any) -> Node:
    """The YAML node of a manifest value, mappings in canonical key order."""
    if isinstance(value, str):
        return ScalarNode(_STR, value, style="|" if "\n" in value else None)
    if isinstance(value, dict):
        items = [(ScalarNode(_STR, key), _node(value[key])) for key in sorted(value, key=_key_order)]
        return MappingNode(_MAP, items, flow_style=False)
    if isinstance(value, list | tuple):
        return SequenceNode(_SEQ, [_node(item) for item in value], flow_style=False)
    return _scalar_node(value)


def _scalar_node(value: Any) -> ScalarNode:
    if isinstance(value, bool):
        return ScalarNode(_BOOL, "true" if value else "false")
    if isinstance(value, int):
        return ScalarNode(_INT, str(value))
    if isinstance(value, float):
        return ScalarNode(_FLOAT, _float_text(value))
    if value is None:
        return ScalarNode(_NULL, "null")
    raise TypeError(f"cannot write {type(value).__name__} {value!r} into a manifest")


def reference_dump_yaml(document: Any, *, header: str = "") -> str:
    """One YAML document in canonical order, preceded by ``header`` comment lines."""
    stream = io.StringIO()
    for line in header.splitlines():
        stream.write(f"# {line}\n" if line else "#\n")
    dumper = _Dumper(stream)
    dumper.open()
    dumper.serialize(_node(document))
    dumper.close()
    return stream.getvalue()
