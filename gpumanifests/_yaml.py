"""Deterministic YAML through ruamel.yaml's C emitter.

Keys come out in a fixed order (``apiVersion``, ``kind``, ``metadata``, ``name``,
``namespace`` first, then alphabetical), lines are never wrapped, multi-line strings use
literal blocks, and any string that a YAML 1.1 *or* 1.2 reader would take for something else
(``on``, ``yes``, ``0755``, ``1:20``, dates, ``~``) is quoted, so Kubernetes' YAML 1.1 decoder
reads exactly what we meant.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml.cyaml import CEmitter  # type: ignore[attr-defined]  # re-exported from the C extension
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.resolver import BaseResolver, implicit_resolvers

__all__ = ["canonical", "dump_yaml"]

_FIRST_KEYS = ("apiVersion", "kind", "metadata", "name", "namespace")
_KEY_RANK = {key: rank for rank, key in enumerate(_FIRST_KEYS)}


class _AnyVersionResolver(BaseResolver):
    """Resolves plain scalars as both YAML 1.1 and 1.2 would, so the emitter quotes every trap."""


for _versions, _tag, _regexp, _first in implicit_resolvers:
    _AnyVersionResolver.add_implicit_resolver_base(_tag, _regexp, _first)


class _Representer(SafeRepresenter):
    def represent_str(self, data: str) -> Any:
        if "\n" in data:
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="|")
        return super().represent_str(data)


_Representer.add_representer(str, _Representer.represent_str)


class _Dumper(CEmitter, _Representer, _AnyVersionResolver):  # type: ignore[misc]
    def __init__(self, stream: io.StringIO) -> None:
        CEmitter.__init__(self, stream, width=2**31 - 1, allow_unicode=True, line_break="\n")
        _Representer.__init__(self, default_flow_style=False)
        _AnyVersionResolver.__init__(self)
        self.sort_base_mapping_type_on_output = False


def _key_order(key: str) -> tuple[int, str]:
    return (_KEY_RANK.get(key, len(_FIRST_KEYS)), key)


def canonical(value: Any) -> Any:
    """``value`` with every mapping's keys in the canonical order (a new structure)."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value, key=_key_order)}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    return value


def dump_yaml(document: Any, *, header: str = "") -> str:
    """One YAML document in canonical order, preceded by ``header`` comment lines."""
    stream = io.StringIO()
    for line in header.splitlines():
        stream.write(f"# {line}\n" if line else "#\n")
    dumper = _Dumper(stream)
    dumper.open()
    dumper.represent(canonical(document))
    dumper.close()
    return stream.getvalue()
