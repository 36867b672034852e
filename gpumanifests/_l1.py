"""The typed L1 bindings (``gm.k8s``, the escape hatch) as the public boundary hands them out.

The module is imported on first use. Each construct class's constructor turns jsii's errors into
:class:`InvalidInputError` naming the object, refuses a gpumanifests resource as its scope (and a
scope outside any component), shares the id check of gpumanifests' own constructs, and declares
the object in the jsii counterpart of its scope (made then: see ``_constructs/tree.py``). Each
struct class's constructor, and each construct's, checks the dicts given for structs all the way
down: jsii converts a dict given for a struct argument itself, but sends the dicts inside a list
or a map to Node.js as they are, where a key the struct does not know is dropped without a word.
Here such a dict becomes its struct; a key may be one of the struct's snake_case arguments or its
field's name compared without letter case and punctuation (the API's ``hostIP`` is jsii's
``hostIp``), and any other key is an error naming the field, the key and the closest known one.
A value typed ``Any`` is passed on as it is.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import types
import typing
from typing import Any, get_args, get_origin, get_type_hints

from gpumanifests._boundary import MAPPING_TYPES, SEQUENCE_TYPES
from gpumanifests._constructs.component import Component, Resource
from gpumanifests._constructs.patches import JsonPatch
from gpumanifests._constructs.tree import (
    TreeConstruct,
    cdk8s_patch,
    claim_construct_id,
    construct_path,
    is_jsii_construct,
    is_l1_construct,
    release_construct_id,
    tree_construct_of,
)
from gpumanifests._errors import InvalidInputError, did_you_mean, unknown_argument

__all__ = ["guard_l1"]


class _GuardedL1(types.ModuleType):
    """The typed L1 bindings, imported on first use, with guarded constructors.

    Importing them loads their jsii assembly into Node.js, which an app that never uses the
    escape hatch need not pay for.
    """

    def __getattr__(self, name: str) -> Any:
        value = getattr(importlib.import_module(self.__name__), name)
        if is_l1_construct(value):
            _guard_construct(value)
        elif _is_struct(value):
            _guard_struct(value)
        return value

    def __dir__(self) -> list[str]:
        return dir(importlib.import_module(self.__name__))


def guard_l1(module_name: str) -> types.ModuleType:
    """The cdk8s L1 bindings ``module_name``, whose constructs and structs raise :class:`InvalidInputError` for a
    wrong argument, key or id; the module is imported when one of its names is first asked for."""
    return _GuardedL1(module_name, "The typed cdk8s L1 bindings (the escape hatch), imported on first use.")


def _guard_construct(cls: type) -> None:
    def guarded(constructor: Any) -> Any:
        def init(self: Any, scope: Any, id: Any, *args: Any, **kwargs: Any) -> None:
            where = construct_path(scope)
            owner = f"gm.k8s.{cls.__name__} {f'{where}/{id}' if where else str(id)!r}"
            _check_scope(scope, owner)
            arguments = _with_structs_in(cls, kwargs, owner)  # before the id is taken: a bad call leaves it free
            if isinstance(id, str):
                claim_construct_id(scope, id, f"gm.k8s.{cls.__name__}")
            try:
                constructor(
                    self, scope.jsii_scope() if isinstance(scope, TreeConstruct) else scope, id, *args, **arguments
                )
            except (TypeError, RuntimeError) as error:  # jsii's type check, or Node.js refusing (a taken id)
                if isinstance(id, str):
                    release_construct_id(scope, id)
                raise InvalidInputError(f"{owner}: {error}") from None
            if isinstance(scope, TreeConstruct):
                scope.node.add_child(id, self)

        return init

    _replace_constructor(cls, guarded)
    if not getattr(cls.add_json_patch, "_gm_guarded", False):  # type: ignore[attr-defined]
        cls.add_json_patch = _taking_gm_patches(cls.add_json_patch)  # type: ignore[attr-defined]


def _check_scope(scope: Any, owner: str) -> None:
    """Refuse a scope the object's manifest would never be rendered from: one outside every component."""
    if isinstance(scope, Resource):
        raise InvalidInputError(
            f"{owner}: scope is a {type(scope).__name__}, which holds no L1 objects; declare it in the "
            "resource's component (or a gm.Construct inside it)"
        )
    if not isinstance(scope, TreeConstruct) and not is_jsii_construct(scope):
        raise InvalidInputError(
            f"{owner}: scope={scope!r}: expected a gm.Component or a gm.Construct (or an L1 object inside one)"
        )
    mirrored = scope if isinstance(scope, TreeConstruct) else tree_construct_of(scope)
    if mirrored is None:
        raise InvalidInputError(
            f"{owner}: scope {construct_path(scope)!r} is a cdk8s construct outside the app's clusters, whose "
            "objects are never synthesized; declare it in a gm.Component (or a gm.Construct inside one)"
        )
    Component.containing(mirrored, owner)


def _taking_gm_patches(add_json_patch: Any) -> Any:
    """cdk8s' ``ApiObject.add_json_patch``, also taking ``gm.JsonPatch`` (as a cdk8s patch: cdk8s applies it)."""

    @functools.wraps(add_json_patch)
    def taking(self: Any, *ops: Any) -> None:
        add_json_patch(self, *(cdk8s_patch(op.operation) if isinstance(op, JsonPatch) else op for op in ops))

    taking._gm_guarded = True  # type: ignore[attr-defined]
    return taking


def _guard_struct(cls: type) -> None:
    def guarded(constructor: Any) -> Any:
        def init(self: Any, **kwargs: Any) -> None:
            owner = f"gm.k8s.{cls.__name__}"
            try:
                constructor(self, **_with_structs_in(cls, kwargs, owner))
            except TypeError as error:  # a missing argument, or jsii's type check
                raise InvalidInputError(f"{owner}: {error}") from None

        return init

    _replace_constructor(cls, guarded)


def _replace_constructor(cls: type, guarded: Any) -> None:
    """Give ``cls`` the constructor ``guarded`` makes of its own, once (the generated one stays its ``__wrapped__``)."""
    constructor = vars(cls)["__init__"]
    if getattr(constructor, "_gm_guarded", False):
        return
    init = functools.wraps(constructor)(guarded(constructor))
    init._gm_guarded = True  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[misc]


def _is_struct(value: Any) -> bool:
    """Whether ``value`` is a jsii struct class (a data type: keyword arguments, no Node.js object)."""
    return inspect.isclass(value) and "__jsii_name_mapping__" in vars(value)


def _generated(cls: type) -> Any:
    """``cls``'s constructor as jsii generated it (without the guard)."""
    constructor = vars(cls)["__init__"]
    return getattr(constructor, "__wrapped__", constructor)


@functools.cache
def _arguments(cls: type) -> dict[str, Any]:
    """The keyword arguments of ``cls``'s generated constructor and their types (``Any`` where they
    cannot be resolved, so a value there is left to jsii's own check)."""
    constructor = _generated(cls)
    try:
        hints = get_type_hints(constructor)
    except Exception:  # an annotation naming something the bindings' module does not define
        parameters = inspect.signature(constructor).parameters
        hints = {name: Any for name, parameter in parameters.items() if parameter.kind is parameter.KEYWORD_ONLY}
    hints.pop("return", None)
    return hints


def _field_names(struct: type) -> dict[str, str]:
    """A struct's snake_case arguments, each with its jsii (camelCase) field name."""
    names: dict[str, str] = vars(struct)["__jsii_name_mapping__"]
    return names


def _folded(key: str) -> str:
    """A key with letter case and every character but letters and digits dropped: the API's ``hostIP``,
    ``openAPIV3Schema``, ``x-kubernetes-preserve-unknown-fields`` or ``$ref`` as jsii's ``hostIp``,
    ``openApiv3Schema``, ``xKubernetesPreserveUnknownFields`` or ``ref`` (and snake_case ``host_ip``)."""
    return "".join(character for character in key.lower() if character.isalnum())


@functools.cache
def _by_folded_name(struct: type) -> dict[str, str]:
    """A struct's arguments by their folded names (each field under its argument's and its jsii name's)."""
    found: dict[str, set[str]] = {}
    for python, api in _field_names(struct).items():
        for spelling in (python, api):
            found.setdefault(_folded(spelling), set()).add(python)
    return {folded: next(iter(names)) for folded, names in found.items() if len(names) == 1}


def _with_structs_in(cls: type, kwargs: dict[str, Any], owner: str) -> dict[str, Any]:
    """``kwargs`` of ``cls``'s constructor with each dict its types call a struct made that struct."""
    hints = _arguments(cls)
    for name in kwargs:
        if name not in hints:
            known = [argument for argument in hints if argument not in {"scope", "id"}]
            raise InvalidInputError(f"{owner}: {name}: {unknown_argument(name, known)}")
    return {name: _with_structs(value, hints[name], f"{owner}: {name}") for name, value in kwargs.items()}


def _with_structs(value: Any, hint: Any, where: str) -> Any:
    """``value`` with every dict that ``hint`` types as a struct made that struct, in lists and maps too."""
    options = get_args(hint) if get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if isinstance(value, dict):
        struct = next((option for option in options if _is_struct(option)), None)
        if struct is not None:
            return _struct(struct, value, where)
    for option in options:
        origin, args = get_origin(option), get_args(option)
        if origin in SEQUENCE_TYPES and args and isinstance(value, list | tuple):
            return [_with_structs(item, args[0], f"{where}[{index}]") for index, item in enumerate(value)]
        if origin in MAPPING_TYPES and len(args) == 2 and isinstance(value, dict):
            return {key: _with_structs(item, args[1], f"{where}[{key!r}]") for key, item in value.items()}
    _check_plain_value(value, options, where)
    return value


def _check_plain_value(value: Any, options: tuple[Any, ...], where: str) -> None:
    """Refuse a string or number where only a class such as ``Quantity`` or ``IntOrString`` is accepted,
    naming its factory (jsii's own error is a page long)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float) or Any in options:
        return
    classes = [option for option in options if inspect.isclass(option)]
    if not classes or any(isinstance(value, option) for option in classes):
        return
    factory = "from_string" if isinstance(value, str) else "from_number"
    for option in classes:
        if hasattr(option, factory):
            raise InvalidInputError(
                f"{where}={value!r}: expected a gm.k8s.{option.__name__}; write gm.k8s.{option.__name__}.{factory}"
                f"({value!r})"
            )


def _struct(struct: type, value: dict[Any, Any], where: str) -> Any:
    """The struct ``value`` describes; a key is one of the struct's arguments or its field name in any
    spelling that folds to the same letters (``hostIP``, ``hostIp``, ``host_ip``)."""
    arguments, by_folded = _arguments(struct), _by_folded_name(struct)
    converted: dict[str, Any] = {}
    given: dict[str, Any] = {}
    for key, item in value.items():
        name = key if key in arguments else by_folded.get(_folded(key)) if isinstance(key, str) else None
        if name is None:
            known = sorted(_field_names(struct).values())
            suggestion = did_you_mean(str(key), known, fold=_folded)
            raise InvalidInputError(
                f"{where}: {key!r} is not a field of {struct.__name__}{suggestion}; its fields are: {', '.join(known)} "
                "(in the API's spelling, any letter case, or snake_case)"
            )
        if name in converted:
            raise InvalidInputError(f"{where}: {given[name]!r} and {key!r} are the same field of {struct.__name__}")
        given[name] = key
        converted[name] = _with_structs(item, arguments[name], f"{where}.{key}")
    instance: Any = object.__new__(struct)
    try:
        _generated(struct)(instance, **converted)
    except TypeError as error:  # a field missing, or of the wrong type (jsii's check)
        raise InvalidInputError(f"{where}: {error}") from None
    return instance
