"""Deterministic YAML: ruamel.yaml's C emitter, and the same bytes as text for common documents.

Keys come out in a fixed order (``apiVersion``, ``kind``, ``metadata``, ``name``,
``namespace`` first, then alphabetical), lines are never wrapped, multi-line strings use
literal blocks, and any string that a YAML 1.1 *or* 1.2 reader would take for something else
(``on``, ``yes``, ``0755``, ``1:20``, dates, ``~``) is quoted, so Kubernetes' YAML 1.1 decoder
reads exactly what we meant. Documents are walked directly (plain dicts, lists, strings, numbers,
booleans and None are all a manifest holds) into ruamel.yaml events that the C emitter writes.

An event carries the two flags the emitter would otherwise ask a resolver for on every scalar:
whether the scalar reads back as its own tag when plain, and when quoted. They come from a
resolver holding both the 1.1 and 1.2 implicit resolvers, asked once per distinct text: the
events of short strings, integers and key orders are kept in size-limited caches, since a
synth writes the same few hundred keys and values thousands of times.

A document of only mappings, lists, whole numbers, booleans, None and one-line printable ASCII
strings (nearly every manifest) skips the emitter: it is written as text by the emitter's own
rules for those values (see "the common case as text" below), three times faster; anything else
in it sends the whole document to the emitter. Tests hold both paths to the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from typing import TYPE_CHECKING, Any, TypeVar

from ruamel.yaml.cyaml import CEmitter  # type: ignore[attr-defined]  # re-exported from the C extension
from ruamel.yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import BaseResolver, implicit_resolvers

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["dump_yaml"]

_FIRST_KEYS = ("apiVersion", "kind", "metadata", "name", "namespace")
_FIRST_RANK = {key: rank for rank, key in enumerate(_FIRST_KEYS)}
_STR, _MAP, _SEQ, _INT, _FLOAT, _BOOL, _NULL = (
    f"tag:yaml.org,2002:{name}" for name in ("str", "map", "seq", "int", "float", "bool", "null")
)

# Each cache is emptied when it reaches this many entries, so memory stays bounded however many
# distinct values a run writes; strings longer than _CACHED_LENGTH, and mappings with more than
# _CACHED_KEYS keys (or with a key that is not exactly a short str), are never cached at all.
_CACHE_LIMIT = 1 << 14
_K = TypeVar("_K")
_V = TypeVar("_V")
_CACHED_LENGTH = 256
_CACHED_KEYS = 32


class _AnyVersionResolver(BaseResolver):
    """Resolves plain scalars as both YAML 1.1 and 1.2 would, so the emitter quotes every trap."""


for _versions, _tag, _regexp, _first in implicit_resolvers:
    _AnyVersionResolver.add_implicit_resolver_base(_tag, _regexp, _first)

_RESOLVER = _AnyVersionResolver()


def _implicit(tag: str, text: Any) -> tuple[bool, bool]:
    """Whether ``text`` reads back as ``tag`` written plain, and written quoted: the emitter's own test."""
    return (
        str(_RESOLVER.resolve(ScalarNode, text, (True, False))) == tag,
        str(_RESOLVER.resolve(ScalarNode, text, (False, True))) == tag,
    )


def _scalar_event(tag: str, text: Any, style: str | None = None) -> ScalarEvent:
    return ScalarEvent(None, tag, _implicit(tag, text), text, style=style)


def _string_event(value: str) -> ScalarEvent:
    return _scalar_event(_STR, value, "|" if "\n" in value else None)


_STREAM_START = StreamStartEvent()
_STREAM_END = StreamEndEvent()
_DOCUMENT_START = DocumentStartEvent(explicit=False)
_DOCUMENT_END = DocumentEndEvent(explicit=False)
_MAPPING_START = MappingStartEvent(None, _MAP, True, flow_style=False)
_MAPPING_END = MappingEndEvent()
_SEQUENCE_START = SequenceStartEvent(None, _SEQ, True, flow_style=False)
_SEQUENCE_END = SequenceEndEvent()
_TRUE = _scalar_event(_BOOL, "true")
_FALSE = _scalar_event(_BOOL, "false")
_NONE = _scalar_event(_NULL, "null")

_string_events: dict[str, ScalarEvent] = {}
_int_events: dict[int, ScalarEvent] = {}
# a mapping's keys, in its own order -> the canonical order as (position in those keys, key event)
_key_orders: dict[tuple[str, ...], tuple[tuple[int, ScalarEvent], ...]] = {}


def _keep(cache: dict[_K, _V], key: _K, value: _V) -> None:
    """Remember ``value`` under ``key``; a full cache is emptied first, so it stays bounded."""
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _key_rank(key: str) -> tuple[int, str]:
    return (_FIRST_RANK.get(key, len(_FIRST_KEYS)), key)


def _float_text(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def _key_order(mapping: dict[Any, Any]) -> tuple[tuple[Any, ...], tuple[tuple[int, ScalarEvent], ...]]:
    """The mapping's keys, and the canonical order as (position in those keys, key event) pairs."""
    keys = tuple(mapping)
    order = _key_orders.get(keys)
    if order is None:
        ranked = sorted(range(len(keys)), key=lambda index: _key_rank(keys[index]))
        order = tuple((index, _scalar_event(_STR, keys[index])) for index in ranked)
        if len(keys) <= _CACHED_KEYS and all(type(key) is str and len(key) <= _CACHED_LENGTH for key in keys):
            _keep(_key_orders, keys, order)
    return keys, order


def _events(value: Any, emit: Callable[[Any], object]) -> None:
    """Emit the events of a manifest value, mappings in canonical key order."""
    kind = type(value)
    if kind is str:
        event = _string_events.get(value)
        if event is None:
            event = _string_event(value)
            if len(value) <= _CACHED_LENGTH:
                _keep(_string_events, value, event)
        emit(event)
    elif kind is dict:
        emit(_MAPPING_START)
        keys, order = _key_order(value)
        for index, key_event in order:
            key = keys[index]
            # a cached order was made for exact strings; an equal str subclass gets its own event
            emit(key_event if type(key) is str else _scalar_event(_STR, key))
            _events(value[key], emit)
        emit(_MAPPING_END)
    elif kind is list:
        emit(_SEQUENCE_START)
        for item in value:
            _events(item, emit)
        emit(_SEQUENCE_END)
    elif kind is int:
        event = _int_events.get(value)
        if event is None:
            event = _scalar_event(_INT, str(value))
            _keep(_int_events, value, event)
        emit(event)
    else:
        _other_events(value, emit)


def _other_events(value: Any, emit: Callable[[Any], object]) -> None:
    """The same as ``_events`` for the rarer kinds and for subclasses, which are never cached."""
    if isinstance(value, str):
        emit(_string_event(value))
    elif isinstance(value, dict):
        emit(_MAPPING_START)
        for key in sorted(value, key=_key_rank):
            emit(_scalar_event(_STR, key))
            _events(value[key], emit)
        emit(_MAPPING_END)
    elif isinstance(value, list | tuple):
        emit(_SEQUENCE_START)
        for item in value:
            _events(item, emit)
        emit(_SEQUENCE_END)
    else:
        emit(_scalar(value))


# -- the common case as text -------------------------------------------------------------------
#
# Most manifests hold only mappings, lists, whole numbers, booleans, None and one-line strings of
# printable ASCII. For those, the emitter's choices are few and fixed (libyaml's
# ``yaml_emitter_analyze_scalar`` and ``choose_scalar_style``): block mappings indented by two,
# sequences in a mapping not indented, ``{}`` and ``[]`` for empty ones, and a string plain when
# the resolvers read it back as a string and nothing in it is an indicator, else single-quoted.
# Such a document is written here as text; any other value sends the whole document to the
# emitter, so what comes out is the same bytes either way.


class _EmitterNeededError(Exception):
    """A value whose YAML only the emitter writes (multi-line, non-ASCII, a float, a long key...)."""


_SIMPLE_KEY_MAX = 128
"""The longest key libyaml writes as a simple ``key: value`` (a longer one becomes ``? key``)."""
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_PRINTABLE = re.compile(r"[\x20-\x7e]*")

_string_texts: dict[str, str] = {}


def _allows_block_plain(text: str) -> bool:
    """libyaml's analysis of a one-line printable ASCII string: whether a block context may hold it plain."""
    if not text or text[0] == " " or text[-1] == " " or text.startswith(("---", "...")):
        return False
    if text[0] in _FIRST_INDICATORS or (text[0] in "?:-" and (len(text) == 1 or text[1] == " ")):
        return False
    return ": " not in text and not text.endswith(":") and " #" not in text


def _string_text(value: str) -> str:
    """A one-line printable ASCII string as the emitter writes it: plain, or single-quoted."""
    text = _string_texts.get(value)
    if text is None:
        if not _PRINTABLE.fullmatch(value):
            raise _EmitterNeededError
        plain = _allows_block_plain(value) and _implicit(_STR, value)[0]
        text = value if plain else "'" + value.replace("'", "''") + "'"
        if len(value) <= _CACHED_LENGTH:
            _keep(_string_texts, value, text)
    return text


def _scalar_text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _string_text(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    if kind is dict and not value:
        return "{}"
    if kind is list and not value:
        return "[]"
    raise _EmitterNeededError


def _key_text(key: Any) -> str:
    if type(key) is not str or len(key) > _SIMPLE_KEY_MAX:
        raise _EmitterNeededError
    return _string_text(key)


def _mapping_text(mapping: dict[str, Any], indent: str, out: list[str]) -> None:
    keys, order = _key_order(mapping)
    for index, _ in order:
        key = keys[index]
        value = mapping[key]
        kind = type(value)
        if kind is dict and value:
            out.append(f"{indent}{_key_text(key)}:\n")
            _mapping_text(value, indent + "  ", out)
        elif kind is list and value:
            out.append(f"{indent}{_key_text(key)}:\n")
            _sequence_text(value, indent, out)  # a sequence in a mapping is not indented
        else:
            out.append(f"{indent}{_key_text(key)}: {_scalar_text(value)}\n")


def _sequence_text(items: list[Any], indent: str, out: list[str]) -> None:
    inner = indent + "  "
    for item in items:
        kind = type(item)
        if (kind is dict or kind is list) and item:
            start = len(out)
            if kind is dict:
                _mapping_text(item, inner, out)
            else:
                _sequence_text(item, inner, out)
            out[start] = f"{indent}- {out[start][len(inner) :]}"  # the item's first line follows its dash
        else:
            out.append(f"{indent}- {_scalar_text(item)}\n")


def _block_text(document: Any) -> str | None:
    """The document as the emitter would write it, when it holds only the common values; else None."""
    if type(document) is not dict or not document:
        return None
    out: list[str] = []
    try:
        _mapping_text(document, "", out)
    except _EmitterNeededError:
        return None
    return "".join(out)


def _scalar(value: Any) -> ScalarEvent:
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, int):
        return _scalar_event(_INT, str(value))
    if isinstance(value, float):
        return _scalar_event(_FLOAT, _float_text(value))
    if value is None:
        return _NONE
    raise TypeError(f"cannot write {type(value).__name__} {value!r} into a manifest")


def dump_yaml(document: Any, *, header: str = "") -> str:
    """One YAML document in canonical order, preceded by ``header`` comment lines."""
    stream = io.StringIO()
    for line in header.splitlines():
        stream.write(f"# {line}\n" if line else "#\n")
    text = _block_text(document)
    if text is not None:
        stream.write(text)
        return stream.getvalue()
    emit = CEmitter(stream, width=2**31 - 1, allow_unicode=True, line_break="\n").emit
    emit(_STREAM_START)
    emit(_DOCUMENT_START)
    _events(document, emit)
    emit(_DOCUMENT_END)
    emit(_STREAM_END)
    return stream.getvalue()
