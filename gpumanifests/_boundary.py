"""The public boundary: a call with the wrong arguments is a library error, never a ``TypeError``.

:func:`guard_public` wraps every public class's constructor, methods and factories, and every
public function. A call from outside the package is checked before the body runs: its
arguments must bind to the signature (no unknown, missing or repeated argument), and each one
must be of the annotated type (a ``Toleration`` where one is expected, a list and not ``None``
or a string where a list is). A mistake raises :class:`InvalidInputError` naming the object
(its construct path when it has one), the argument, what was given and what is accepted.
Calls from inside the package are not checked again. Values the props models validate
(``**options``) are left to them, as are the typed L1 bindings (``gm.k8s``, guarded in ``_l1.py``).
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import inspect
import pathlib
import sys
import types
import typing
from typing import Any, TypeVar, get_args, get_origin

import pydantic

from gpumanifests._constructs.component import ResourceScope
from gpumanifests._constructs.tree import construct_path
from gpumanifests._errors import InvalidInputError, unknown_argument

__all__ = ["MAPPING_TYPES", "SEQUENCE_TYPES", "guard_public"]

_F = TypeVar("_F", bound="collections.abc.Callable[..., Any]")
_PACKAGE = "gpumanifests"
SEQUENCE_TYPES = (list, tuple, collections.abc.Sequence, collections.abc.Collection, collections.abc.Iterable)
"""What an annotation's origin is when it takes a list (``list[X]``, ``Sequence[X]``...)."""
MAPPING_TYPES = (dict, collections.abc.Mapping)
"""What an annotation's origin is when it takes a dict."""
_SHOWN = 60


def guard_public(api: dict[str, Any], names: collections.abc.Iterable[str]) -> None:
    """Guard the public classes and functions ``names`` of the public API's namespace ``api``, in place."""
    public = {name: api[name] for name in names}
    namespace = {**vars(collections.abc), **vars(typing), "Path": pathlib.Path, **public}
    namespace["ResourceScope"] = ResourceScope
    for name, value in public.items():
        if inspect.isclass(value) and value.__module__ == _PACKAGE and not issubclass(value, BaseException):
            _guard_class(value, namespace)
        elif inspect.isfunction(value) and value.__module__ == _PACKAGE:
            api[name] = _guarded(value, name, namespace, method=False)


def _guard_class(cls: type, namespace: dict[str, Any]) -> None:
    """Wrap the methods ``cls`` and its package bases define (each base once: the wrap is idempotent).

    A props model's constructor is pydantic's, which validates its arguments itself.
    """
    for owner in cls.__mro__:
        if not owner.__module__.startswith(_PACKAGE):
            continue
        for name, member in list(vars(owner).items()):
            if name.startswith("_") and not (name == "__init__" and not issubclass(owner, pydantic.BaseModel)):
                continue
            if isinstance(member, classmethod | staticmethod):
                wrapped = _guarded(member.__func__, f"{cls.__name__}.{name}", namespace, method=False)
                setattr(owner, name, type(member)(wrapped))
            elif inspect.isfunction(member):
                setattr(owner, name, _guarded(member, name, namespace, method=True))


def _guarded(function: _F, name: str, namespace: dict[str, Any], *, method: bool) -> _F:
    if getattr(function, "_gm_guarded", False):
        return function
    signature = inspect.signature(function)
    globalns = {**namespace, **sys.modules[function.__module__].__dict__}

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        if not sys._getframe(1).f_globals.get("__name__", "").startswith(_PACKAGE):
            owner = _owner(name, args, kwargs) if method else name
            _check_call(signature, globalns, owner, args, kwargs)
        return function(*args, **kwargs)

    call._gm_guarded = True  # type: ignore[attr-defined]
    return typing.cast("_F", call)


def _owner(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """How a method's message names its object: ``CpuJob 'c/ml/x'`` (constructing it), ``GpuJob 'c/ml/x'.tolerate``."""
    if not args:
        return name
    cls = type(args[0]).__name__
    if name != "__init__":
        path = getattr(args[0], "path", None)
        return f"{cls} {path!r}.{name}" if isinstance(path, str) else f"{cls}.{name}"
    scope = args[1] if len(args) > 1 else kwargs.get("scope")
    id = args[2] if len(args) > 2 else kwargs.get("id")
    if not isinstance(id, str):
        return cls
    where = construct_path(scope)
    return f"{cls} {f'{where}/{id}' if where else id!r}"


def _check_call(
    signature: inspect.Signature, globalns: dict[str, Any], owner: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    parameters = signature.parameters
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        accepted = _accepted(parameters, globalns)
        unknown = [name for name in kwargs if name not in accepted]  # a misspelt required one is also missing
        if unknown:
            raise InvalidInputError(f"{owner}: {unknown[0]}: {unknown_argument(unknown[0], accepted)}") from None
        problem = _binding_problem(str(error))
        raise InvalidInputError(f"{owner}: {problem}; the arguments are: {', '.join(accepted)}") from None
    for name, value in bound.arguments.items():
        parameter = parameters[name]
        if name in {"self", "cls"} or parameter.annotation is inspect.Parameter.empty:
            continue
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue  # ``**options``: the props model validates each one
        hint = _resolve(parameter.annotation, globalns)
        if hint is None:
            continue
        values = value if parameter.kind is inspect.Parameter.VAR_POSITIONAL else (value,)
        for index, item in enumerate(values):
            if not _accepts(item, hint):
                where = f"{name}[{index}]" if parameter.kind is inspect.Parameter.VAR_POSITIONAL else name
                raise InvalidInputError(f"{owner}: {where}={_shown(item)}: expected {_describe(hint)}")


def _binding_problem(message: str) -> str:
    """Python's own binding error, in the user's terms (an unknown keyword is reported before binding)."""
    if message.startswith("missing a required"):
        return f"{message.rpartition(' ')[2].strip(chr(39))} is required"
    if message == "too many positional arguments":
        return "too many positional arguments (options are keywords: name=value)"
    return message


def _accepted(parameters: collections.abc.Mapping[str, inspect.Parameter], globalns: dict[str, Any]) -> list[str]:
    """The argument names: the named parameters, then the options a ``**options: Unpack[...]`` takes."""
    names = [name for name, parameter in parameters.items() if name not in {"self", "cls"}]
    options: list[str] = []
    for parameter in parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            names.remove(parameter.name)
            unpacked = get_args(_resolve(parameter.annotation, globalns))
            options = sorted(getattr(unpacked[0], "__annotations__", {})) if unpacked else []
    return [*names, *options]


def _resolve(annotation: Any, globalns: dict[str, Any]) -> Any:
    """The annotation as a type; None when it cannot be resolved here (then the value is not checked).

    Each string is evaluated once per namespace (every guarded function has its own, kept for good).
    """
    if not isinstance(annotation, str):
        return annotation
    key = (annotation, id(globalns))
    if key not in _RESOLVED:
        try:
            _RESOLVED[key] = eval(annotation, globalns)
        except Exception:
            _RESOLVED[key] = None
    return _RESOLVED[key]


_RESOLVED: dict[tuple[str, int], Any] = {}


def _accepts(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of type ``hint``, as far as a plain check can tell (generics by their items)."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is None or hint is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin in SEQUENCE_TYPES or hint in SEQUENCE_TYPES:
        return _accepts_list(value, origin, args)
    if origin in MAPPING_TYPES or hint in MAPPING_TYPES:
        key, item = args if len(args) == 2 else (Any, Any)
        mapping = isinstance(value, collections.abc.Mapping)
        return mapping and all(_accepts(k, key) and _accepts(v, item) for k, v in value.items())
    kind = origin or hint
    return _is_instance(value, kind) if isinstance(kind, type) and kind is not object else True  # Any, a TypeVar


def _accepts_list(value: Any, origin: Any, args: tuple[Any, ...]) -> bool:
    """A list or tuple (never a string), each item of the one item type a ``list[X]`` or ``tuple[X, ...]`` names."""
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        return False
    homogeneous = origin is not tuple or (len(args) == 2 and args[1] is Ellipsis)
    return all(_accepts(item, args[0]) for item in value) if args and homogeneous else True


def _is_instance(value: Any, kind: type) -> bool:
    """``isinstance``, except that ``True`` is no number, and an enum or a path may be given as its string."""
    if kind is bool:
        return isinstance(value, bool)
    if kind in (int, float):
        return isinstance(value, int | kind) and not isinstance(value, bool)
    if issubclass(kind, enum.Enum | pathlib.PurePath) and isinstance(value, str):
        return True  # the callee converts it, or names the allowed values
    try:
        return isinstance(value, kind)
    except TypeError:  # a protocol without runtime checks
        return True


_PLAIN_NAMES = {
    "str": "a string",
    "int": "a whole number",
    "bool": "True or False",
    "float": "a number",
    "gm.JsonPatch": "a gm.JsonPatch (gm.JsonPatch.add(path, value), .remove(path), ...)",
}


def _describe(hint: Any, *, article: bool = True) -> str:
    """``hint`` in the user's terms: ``a gm.Toleration``, ``a list of str``, ``a string or None``."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg, article=article) for arg in args)
    if origin in SEQUENCE_TYPES or hint in SEQUENCE_TYPES:
        return f"a list of {_describe(args[0], article=False)}" if args and args[0] is not Ellipsis else "a list"
    if origin in MAPPING_TYPES or hint in MAPPING_TYPES:
        if len(args) != 2:
            return "a dict"
        return f"a dict of {_describe(args[0], article=False)} to {_describe(args[1], article=False)}"
    if origin is typing.Literal:
        return " or ".join(repr(arg) for arg in args)
    return _type_name(origin or hint, article=article)


def _type_name(kind: Any, *, article: bool) -> str:
    if kind is None or kind is type(None):
        return "None"
    if kind is Any:
        return "any value"
    module, name = getattr(kind, "__module__", ""), getattr(kind, "__name__", str(kind))
    name = f"gm.{name}" if module == _PACKAGE else f"{module}.{name}" if module not in {"builtins", ""} else name
    return _PLAIN_NAMES.get(name, f"a {name}") if article else name


def _shown(value: Any) -> str:
    """The value as the message shows it: its repr, shortened; an object without one by its type."""
    text = repr(value)
    if " object at 0x" in text:  # the default repr: an address, which would make the message differ per run
        text = _type_name(type(value), article=True)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters)"
