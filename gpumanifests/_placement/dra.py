"""Dynamic Resource Allocation (``resource.k8s.io/v1``): can a pod's ResourceClaims be allocated on one node?

A pure-Python model of kube-scheduler's structured-parameters allocator
(``k8s.io/dynamic-resource-allocation/structured`` at v0.36.2) for the stable feature set:
plain requests, ``allocationMode: All``, ``firstAvailable`` (DRAPrioritizedList) and
``adminAccess`` (DRAAdminAccess), both GA and on by default (:class:`Features`).
:func:`allocate_claims` takes the pod's claims, the cluster's ResourceSlices, the
DeviceClasses, the node and the devices other claims already hold, and answers with a
:class:`DraResult`: the allocation, or why the node cannot serve the claims, or an error.

What it follows, as upstream does:

* **Visible devices.** A slice serves the node when its ``spec.nodeName`` is the node's name,
  ``spec.allNodes`` is true, or its ``spec.nodeSelector`` matches the node (node-affinity
  rules); other slices are ignored. Per pool (driver, pool name) only the highest
  ``generation`` among those slices counts. A pool is *complete* when that generation has
  ``resourceSliceCount`` slices; when the node sees fewer, every slice of the pool is counted:
  a newer generation elsewhere makes the node's pool obsolete (ignored), too few slices make it
  *incomplete*. Duplicate device names make it *invalid*. Devices are taken only from complete,
  valid pools; an ``All`` request meeting an incomplete or invalid pool is an error.
* **Order.** Pools sorted by (driver, pool), slices of a pool by name, devices in slice order:
  the deterministic order of the incubating allocator that a default v1.36 scheduler runs (the
  stable one iterates pools in Go map order). The search is upstream's depth-first search over
  claims in order, requests in order and devices in that order, combinations (not
  permutations) within a request, first complete solution wins, backtracking across claims.
* **Matching.** A device matches when every selector of the DeviceClass and then every selector
  of the (sub)request is true for the CEL variable ``device`` (:func:`device_variable`). A CEL
  compile or runtime error (such as a missing attribute) is an *error*, never "no match".
* **Use.** A device is in use when ``allocated`` holds it or another request of the pod takes it.
  ``adminAccess`` requests ignore that and only refuse a device their own claim already takes.
  Devices that consume counters (partitionable devices) are never allocated, devices with
  binding conditions never match, as with those features off.
* **Modes.** ExactCount needs ``count`` devices. ``All`` needs every matching device the node
  sees (at least one, all of them free). ``firstAvailable`` tries its subrequests in order,
  each with the whole remaining search. A claim holds at most 32 devices: a claim whose
  smallest choice exceeds that is an error; a subrequest that would exceed it is skipped.
* **Constraints.** ``matchAttribute`` requires every device of the named requests (all
  requests when none are named; a request name covers its subrequests) to have the attribute,
  all with the same value. A constraint that rejects a device of an ``All`` request is an error.

Outcomes keep the scheduler's distinction: ``unsatisfiable`` means this node cannot serve the
claims (kube-scheduler's ``UnschedulableAndUnresolvable`` for the node, including "invalid
resource pools were encountered"); ``error`` means the scheduler fails the pod's whole
scheduling attempt (CEL errors, a missing DeviceClass, unknown request fields, an ``All``
request broken by a constraint, the claim limit, a search beyond its budget: the model of the
Filter timeout). Messages quote upstream's where upstream has one. Upstream explains nothing
when a node does not fit; the reasons of an unsatisfiable result are this module's diagnosis,
bounded to :data:`MAX_REASONS`.

Inputs are plain dicts in the API's camelCase, as ``kubectl get -o json`` prints them. An unset
``allocationMode`` is ``ExactCount`` and an unset ``count`` is 1 (API defaulting). ``allocated``
must hold the devices of other claims' allocations without ``adminAccess``, as the scheduler
excludes those; claims already allocated are not checked here.

Not modelled (features beyond the stable set, each behaving as with its gate off):
partitionable devices and shared counters; consumable capacity (``allowMultipleAllocations``,
capacity requests; a ``distinctAttribute`` constraint is the stable allocator's "unsupported
constraint type" error); device taints and tolerations (ignored); binding conditions;
list-type attributes (the upstream runtime error "unsupported attribute value"). Also not
modelled: copying device configuration into the allocation (``devices.config``), and invalid
node selectors in slices (API validation rejects them; here they match no node).

CEL is the project's (:mod:`gpumanifests._kube.cel`). As upstream, an unknown attribute domain
reads as an empty map and an undeclared variable is a compile error. Unlike upstream, a
selector whose result is not a boolean fails when evaluated rather than when compiled,
``cel.bind`` does not parse, and functions the project's CEL lacks (``ext.Strings`` such as
``lowerAscii``, ``ext.Sets``, IP and CIDR) end in an error that names the function as missing
from this model. Every stable upstream allocator test case in ``tests/dra/upstream_cases.json``
passes; none was dropped.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from gpumanifests._kube.cel import CelError, compile_expression, evaluate, quantity_value, semver_value
from gpumanifests._kube.quantity import parse_quantity
from gpumanifests.scheduling import matches_node_selector_terms, node_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

__all__ = [
    "ALLOCATION_RESULTS_MAX_SIZE",
    "DEFAULT_MAX_STEPS",
    "MAX_REASONS",
    "ClaimAllocation",
    "DeviceAllocation",
    "DeviceId",
    "DraResult",
    "Features",
    "Outcome",
    "Pool",
    "PoolDevice",
    "PoolState",
    "allocate_claims",
    "device_matches",
    "device_variable",
    "gather_pools",
]

ALLOCATION_RESULTS_MAX_SIZE = 32
"""``resourceapi.AllocationResultsMaxSize``: the most devices one claim's allocation may hold."""
MAX_REASONS = 8
"""The most reasons an unsatisfiable :class:`DraResult` lists."""
DEFAULT_MAX_STEPS = 1_000_000
"""The default search budget of :func:`allocate_claims`: about a second or two of search."""

_ATTRIBUTE_KINDS = ("string", "int", "bool", "version")  # matchAttribute's order of checks
_CEL_VALUE_KINDS = ("int", "bool", "string", "version")  # the CEL conversion's order
_SELECTOR_TEXT_LIMIT = 100
_BOUND_NAME = re.compile(r"\.\s*(?:all|exists_one|exists|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,")
_MISSING_KEY = re.compile(r"no such key: '(.*)'")
_UNDEFINED = re.compile(r"Undefined variable or function: '(.*)'")


# --- results ---------------------------------------------------------------------------------------


class DeviceId(NamedTuple):
    """A device as the scheduler tracks it: driver, pool and device name."""

    driver: str
    pool: str
    device: str

    def __str__(self) -> str:
        return f"{self.driver}/{self.pool}/{self.device}"


@dataclass(frozen=True)
class Features:
    """The allocator features the scheduler enables; both are GA and on in Kubernetes v1.36."""

    admin_access: bool = True
    prioritized_list: bool = True


class Outcome(StrEnum):
    """How an allocation attempt for one node ends."""

    ALLOCATED = "allocated"
    UNSATISFIABLE = "unsatisfiable"
    ERROR = "error"


@dataclass(frozen=True)
class DeviceAllocation:
    """One entry of ``status.allocation.devices.results``.

    ``request`` is the request name, or ``<request>/<subrequest>`` for the chosen alternative
    of a ``firstAvailable`` request.
    """

    request: str
    device: DeviceId
    admin_access: bool = False

    @property
    def parent_request(self) -> str:
        """The claim's request this device serves (without the subrequest)."""
        return self.request.partition("/")[0]

    @property
    def subrequest(self) -> str | None:
        """The chosen ``firstAvailable`` subrequest, or None for a plain request."""
        _, slash, sub = self.request.partition("/")
        return sub if slash else None


@dataclass(frozen=True)
class ClaimAllocation:
    """The allocation of one claim: its devices in allocation order and its node selector.

    ``node_selector`` is None when every device comes from an ``allNodes`` slice; it names the
    node when any device comes from a ``nodeName`` slice, and otherwise joins the slices'
    node selectors into one term, as upstream writes ``status.allocation.nodeSelector``.
    """

    claim: str
    devices: tuple[DeviceAllocation, ...]
    node_selector: Mapping[str, Any] | None = None

    def for_request(self, name: str) -> tuple[DeviceId, ...]:
        """The devices of request ``name`` (a request covers its chosen subrequest)."""
        return tuple(d.device for d in self.devices if name in (d.request, d.parent_request))


@dataclass(frozen=True)
class DraResult:
    """The verdict for one node: the allocation, or the reasons it cannot be made.

    True exactly when the claims are allocated. ``reasons`` explain an unsatisfiable result;
    an error result has the scheduler's error message as its one reason.
    """

    outcome: Outcome
    node: str
    claims: tuple[ClaimAllocation, ...] = ()
    reasons: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.outcome is Outcome.ALLOCATED

    def __str__(self) -> str:
        if self:
            devices = ", ".join(str(d.device) for claim in self.claims for d in claim.devices)
            return f"claims fit node {self.node!r} with devices [{devices}]"
        return f"{self.outcome.value} on node {self.node!r}: " + "; ".join(self.reasons)

    def devices(self) -> frozenset[DeviceId]:
        """Every device the allocation uses."""
        return frozenset(d.device for claim in self.claims for d in claim.devices)


# --- pools -----------------------------------------------------------------------------------------


class PoolState(StrEnum):
    """Whether the allocator may take devices from a pool."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    INVALID = "invalid"


class PoolDevice(NamedTuple):
    """A device of a pool the node sees: its id, its entry in the slice and the slice."""

    id: DeviceId
    device: Mapping[str, Any]
    slice: Mapping[str, Any]


@dataclass(frozen=True)
class Pool:
    """A resource pool as one node sees it (upstream ``GatherPools``).

    ``slices`` are the pool's slices of the kept generation that serve the node, sorted by
    name; they are empty unless the pool is complete. ``problem`` says why a pool is not.
    """

    driver: str
    name: str
    state: PoolState
    slices: tuple[Mapping[str, Any], ...] = ()
    problem: str = ""

    @property
    def id(self) -> str:
        """``<driver>/<pool>``, as upstream's messages name a pool."""
        return f"{self.driver}/{self.name}"

    def candidates(self) -> Iterator[PoolDevice]:
        """The pool's devices in allocation order: slices by name, devices in slice order."""
        for resource_slice in self.slices:
            for device in _spec(resource_slice).get("devices") or ():
                yield PoolDevice(DeviceId(self.driver, self.name, str(device.get("name"))), device, resource_slice)


def gather_pools(slices: Iterable[Mapping[str, Any]], node: Mapping[str, Any]) -> tuple[Pool, ...]:
    """The pools whose devices the node sees, sorted by (driver, pool name); obsolete ones left out.

    Slices with ``perDeviceNodeSelection`` or ``sharedCounters`` are skipped (partitionable
    devices are not modelled, as with the feature off).
    """
    every = list(slices)
    kept: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for resource_slice in every:
        spec = _spec(resource_slice)
        if spec.get("perDeviceNodeSelection") is not None or spec.get("sharedCounters"):
            continue
        if _slice_serves(spec, node):
            _keep_newest(kept, resource_slice)
    pools = (_pool(key, group, every) for key, group in kept.items())
    return tuple(sorted((pool for pool in pools if pool is not None), key=lambda pool: (pool.driver, pool.name)))


def _slice_serves(spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    if spec.get("nodeName"):
        return bool(spec["nodeName"] == node_name(node))
    if spec.get("allNodes"):
        return True
    if spec.get("nodeSelector") is not None:
        return matches_node_selector_terms(spec["nodeSelector"].get("nodeSelectorTerms"), node)
    return False  # some future way of naming nodes: upstream ignores the slice


def _keep_newest(kept: dict[tuple[str, str], list[Mapping[str, Any]]], resource_slice: Mapping[str, Any]) -> None:
    key = _pool_key(resource_slice)
    group = kept.get(key)
    if group is None or _generation(resource_slice) > _generation(group[0]):
        kept[key] = [resource_slice]
    elif _generation(resource_slice) == _generation(group[0]):
        group.append(resource_slice)


def _pool(key: tuple[str, str], group: list[Mapping[str, Any]], every: Sequence[Mapping[str, Any]]) -> Pool | None:
    driver, name = key
    generation, wanted = _generation(group[0]), int(_spec(group[0])["pool"].get("resourceSliceCount") or 0)
    if len(group) != wanted:
        same_pool = [s for s in every if _pool_key(s) == key]
        if any(_generation(s) > generation for s in same_pool):
            return None  # the driver is replacing this generation: ignored
        published = sum(1 for s in same_pool if _generation(s) == generation)
        if published != wanted:
            problem = f"{published} of {wanted} ResourceSlices of generation {generation} are published"
            return Pool(driver, name, PoolState.INCOMPLETE, problem=problem)
    ordered = tuple(sorted(group, key=lambda s: str((s.get("metadata") or {}).get("name") or "")))
    duplicate = _duplicate_device(ordered)
    if duplicate is not None:
        return Pool(driver, name, PoolState.INVALID, problem=f"duplicate device name {duplicate}")
    return Pool(driver, name, PoolState.COMPLETE, ordered)


def _duplicate_device(slices: Sequence[Mapping[str, Any]]) -> str | None:
    seen: set[str] = set()
    for resource_slice in slices:
        for device in _spec(resource_slice).get("devices") or ():
            if device.get("name") in seen:
                return str(device.get("name"))
            seen.add(device.get("name"))
    return None


def _pool_key(resource_slice: Mapping[str, Any]) -> tuple[str, str]:
    spec = _spec(resource_slice)
    return str(spec.get("driver") or ""), str((spec.get("pool") or {}).get("name") or "")


def _generation(resource_slice: Mapping[str, Any]) -> int:
    return int((_spec(resource_slice).get("pool") or {}).get("generation") or 0)


# --- CEL -------------------------------------------------------------------------------------------


def device_variable(driver: str, device: Mapping[str, Any]) -> dict[str, Any]:
    """The CEL variable ``device`` for a device of ``driver`` (upstream ``DeviceMatches``).

    ``attributes`` and ``capacity`` map a domain to a map of names; a name without a domain
    belongs to the driver's. Versions are semver values, capacities quantities. Raises
    :class:`CelError` ``attribute <name>: unsupported attribute value`` for an attribute
    without a scalar value (list attributes are alpha).
    """
    attributes: dict[str, dict[str, Any]] = {}
    for name, attribute in (device.get("attributes") or {}).items():
        domain, ident = _qualified(name, driver)
        attributes.setdefault(domain, {})[ident] = _cel_attribute(name, attribute or {})
    capacity: dict[str, dict[str, Any]] = {}
    for name, amount in (device.get("capacity") or {}).items():
        domain, ident = _qualified(name, driver)
        capacity.setdefault(domain, {})[ident] = _cel_quantity(name, (amount or {}).get("value"))
    return {"driver": driver, "attributes": attributes, "capacity": capacity}


def device_matches(device: Mapping[str, Any], *, driver: str, selectors: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every CEL selector (``{"cel": {"expression": ...}}``) is true for the device.

    Raises :class:`CelError` (``selector #<n>: CEL compile error: ...`` or ``... runtime
    error: ...``) as the allocator reports a selector it cannot evaluate.
    """
    try:
        return _selectors_true(selectors, driver, device)
    except _SelectorError as error:
        raise CelError(str(error)) from None


class _SelectorError(Exception):
    """A selector that does not compile or fails at runtime, with upstream's wording after the owner."""


def _selectors_true(selectors: Sequence[Mapping[str, Any]], driver: str, device: Mapping[str, Any]) -> bool:
    """Upstream ``selectorsMatch``: in order, each compiled and evaluated only when reached."""
    variable: dict[str, Any] | None = None
    for number, selector in enumerate(selectors):
        expression = str((selector.get("cel") or {}).get("expression") or "")
        problem = _compile_problem(expression)
        if problem:
            raise _SelectorError(f"selector #{number}: CEL compile error: {problem}")
        try:
            variable = variable if variable is not None else device_variable(driver, device)
            if not _selector_true(expression, variable):
                return False
        except CelError as error:
            raise _SelectorError(f"selector #{number}: CEL runtime error: {error}") from None
    return True


def _qualified(name: str, driver: str) -> tuple[str, str]:
    domain, slash, ident = name.partition("/")
    return (domain, ident) if slash else (driver, name)


def _cel_attribute(name: str, attribute: Mapping[str, Any]) -> Any:
    kind = next((kind for kind in _CEL_VALUE_KINDS if attribute.get(kind) is not None), None)
    if kind is None:
        raise CelError(f"attribute {name}: unsupported attribute value")
    if kind != "version":
        return attribute[kind]
    try:
        return semver_value(str(attribute[kind]))
    except ValueError as error:
        raise CelError(f"attribute {name}: parse semantic version: {error}") from None


def _cel_quantity(name: str, value: Any) -> dict[str, str]:
    try:
        return quantity_value(parse_quantity(str(value)))
    except ValueError as error:
        raise CelError(f"capacity {name}: {error}") from None


@cache
def _compile_problem(expression: str) -> str:
    """Why cel-go's compiler would reject the expression ('' when it would not)."""
    try:
        program = compile_expression(expression)
    except CelError as error:
        return str(error)
    bound = set(_BOUND_NAME.findall(expression))
    undeclared = [name for name in program.variables() if name != "device" and name not in bound]
    return f"undeclared reference to {undeclared[0]!r} (in container '')" if undeclared else ""


def _selector_true(expression: str, variable: dict[str, Any]) -> bool:
    """One selector's value for one device.

    Upstream's ``attributes`` and ``capacity`` answer an unknown domain with an empty map (while
    ``in`` and iteration see only real domains). The project's CEL maps are plain, so a failed
    lookup of a key that is not a domain of the device is retried with that key as an empty
    domain; a key that was an attribute name fails the same way again and is reported.
    """
    while True:
        try:
            value = evaluate(expression, {"device": variable})
        except CelError as error:
            domain = _missing_domain(str(error), variable)
            if domain is None:
                raise CelError(_upstream_wording(expression, str(error))) from None
            variable = _with_domain(variable, domain)
            continue
        if not isinstance(value, bool):
            raise CelError(f"CEL result of type {_cel_type(value)} could not be converted to bool")
        return value


def _upstream_wording(expression: str, message: str) -> str:
    """cel-go's ``no such key: x``; a function the project's CEL lacks is named as such, not blamed on the selector."""
    unknown = _UNDEFINED.fullmatch(message)
    if unknown and unknown[1] in compile_expression(expression).functions():
        return f"function {unknown[1]!r} is not implemented by this model's CEL (Kubernetes' CEL environment has it)"
    return _MISSING_KEY.sub(r"no such key: \1", message)


def _missing_domain(message: str, variable: Mapping[str, Any]) -> str | None:
    """The key a lookup missed, when it is not yet a domain of both maps."""
    found = _MISSING_KEY.fullmatch(message)
    if not found or (found[1] in variable["attributes"] and found[1] in variable["capacity"]):
        return None
    return found[1]


def _with_domain(variable: Mapping[str, Any], domain: str) -> dict[str, Any]:
    return {
        "driver": variable["driver"],
        "attributes": {domain: {}, **variable["attributes"]},
        "capacity": {domain: {}, **variable["capacity"]},
    }


def _cel_type(value: Any) -> str:
    names = {bool: "bool", int: "int", float: "double", str: "string", dict: "map", list: "list", bytes: "bytes"}
    return names.get(type(value), "null_type" if value is None else type(value).__name__)


# --- requests --------------------------------------------------------------------------------------


class _AllocationError(Exception):
    """An allocator error: the scheduler fails the pod's scheduling attempt."""


class _BudgetError(_AllocationError):
    """The search took more steps than allowed: the model of the scheduler's filter timeout."""


class _ResultTooLargeError(Exception):
    """``errAllocationResultMaxSizeExceeded``: this branch would put more than 32 devices in a claim."""


@dataclass(frozen=True)
class _Request:
    """One request without subrequests, or one subrequest (upstream ``requestData``)."""

    claim: int
    label: str
    slot: int
    parent: str
    sub: str
    class_name: str
    device_class: Mapping[str, Any]
    selectors: tuple[Mapping[str, Any], ...]
    all_mode: bool
    count: int
    admin: bool
    all_devices: tuple[PoolDevice, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.parent}/{self.sub}" if self.sub else self.parent

    @property
    def own_name(self) -> str:
        """The name upstream's messages use: the subrequest's own name for a subrequest."""
        return self.sub or self.parent


@dataclass(frozen=True)
class _Constraint:
    attribute: str
    requests: frozenset[str]

    def applies(self, request: _Request) -> bool:
        return (
            not self.requests
            or request.parent in self.requests
            or (bool(request.sub) and request.name in self.requests)
        )

    def scope(self) -> str:
        return "all requests" if not self.requests else "requests " + ", ".join(map(repr, sorted(self.requests)))


@dataclass(frozen=True)
class _Plan:
    """A claim ready for the search: per request, its alternatives (one unless firstAvailable)."""

    index: int
    label: str
    slots: tuple[tuple[_Request, ...], ...]
    first_available: tuple[bool, ...]
    constraints: tuple[_Constraint, ...]


class _Context:
    """What one allocation attempt shares: the node, its pools and devices, the match cache."""

    def __init__(
        self, pools: tuple[Pool, ...], node: Mapping[str, Any], allocated: frozenset[DeviceId], max_steps: int
    ) -> None:
        self.pools = pools
        self.max_steps = max_steps
        self.node_name = node_name(node)
        self.allocated = allocated
        self.candidates = tuple(c for pool in pools if pool.state is PoolState.COMPLETE for c in pool.candidates())
        self._matches: dict[tuple[int, str, DeviceId], bool] = {}

    def matches(self, request: _Request, candidate: PoolDevice) -> bool:
        """Whether the device passes the class's and then the request's selectors (upstream ``isSelectable``).

        Cached per request and device; :class:`_AllocationError` when a selector cannot be evaluated.
        """
        if candidate.device.get("bindingConditions"):
            return False
        key = (request.claim, request.name, candidate.id)
        if key not in self._matches:
            self._matches[key] = _owned_selectors_true(
                f"class {request.class_name}", _selectors(request.device_class), candidate
            ) and _owned_selectors_true(f"claim {request.label}", request.selectors, candidate)
        return self._matches[key]


def _owned_selectors_true(owner: str, selectors: Sequence[Mapping[str, Any]], candidate: PoolDevice) -> bool:
    try:
        return _selectors_true(selectors, candidate.id.driver, candidate.device)
    except _SelectorError as error:
        raise _AllocationError(f"{owner}: {error}") from None


class _Planner:
    """Upstream's checks before the search (``Allocate``, ``validateDeviceRequest``), claim by claim.

    Every problem is an :class:`_AllocationError`, raised for the first one in upstream's order.
    """

    def __init__(self, classes: Mapping[str, Mapping[str, Any]], context: _Context, features: Features) -> None:
        self.classes = classes
        self.context = context
        self.features = features

    def plans(self, claims: Sequence[Mapping[str, Any]]) -> tuple[_Plan, ...]:
        return tuple(self._plan(index, claim) for index, claim in enumerate(claims))

    def _plan(self, index: int, claim: Mapping[str, Any]) -> _Plan:
        label = _claim_label(claim, index)
        devices = (claim.get("spec") or {}).get("devices") or {}
        requests = devices.get("requests") or ()
        slots = tuple(self._alternatives(_Slot(index, slot, label), r) for slot, r in enumerate(requests))
        smallest = sum(min(r.count for r in alternatives) for alternatives in slots)
        if smallest > ALLOCATION_RESULTS_MAX_SIZE:
            raise _AllocationError(
                f"claim {label}: number of requested devices {smallest} exceeds the claim limit "
                f"of {ALLOCATION_RESULTS_MAX_SIZE}"
            )
        constraints = tuple(_constraint(label, n, c) for n, c in enumerate(devices.get("constraints") or ()))
        first_available = tuple(bool(r.get("firstAvailable")) for r in requests)
        return _Plan(index, label, slots, first_available, constraints)

    def _alternatives(self, slot: _Slot, request: Mapping[str, Any]) -> tuple[_Request, ...]:
        name = str(request.get("name") or "")
        subrequests = request.get("firstAvailable") or ()
        if subrequests and not self.features.prioritized_list:
            raise _AllocationError(
                f"claim {slot.label}, request {name}: has subrequests, but the DRAPrioritizedList feature is disabled"
            )
        if subrequests:
            return tuple(self._request(slot, name, str(sub.get("name") or ""), sub) for sub in subrequests)
        if request.get("exactly") is None:
            raise _AllocationError(f"claim {slot.label}, request {name}: unknown request type")
        return (self._request(slot, name, "", request["exactly"]),)

    def _request(self, slot: _Slot, parent: str, sub: str, spec: Mapping[str, Any]) -> _Request:
        where = f"claim {slot.label}, request {sub or parent}"
        selectors = tuple(spec.get("selectors") or ())
        for number, selector in enumerate(selectors):
            if not (selector.get("cel") or {}).get("expression"):
                raise _AllocationError(
                    f"{where}, selector #{number}: CEL expression empty (unsupported selector type?)"
                )
        if spec.get("adminAccess") is not None and not sub and not self.features.admin_access:
            raise _AllocationError(f"{where}: admin access is requested, but the feature is disabled")
        class_name = str(spec.get("deviceClassName") or "")
        if not class_name:
            raise _AllocationError(f"{where}: missing device class name (unsupported request type?)")
        if class_name not in self.classes:
            raise _AllocationError(
                f"{where}: could not retrieve device class {class_name}: "
                f'deviceclass.resource.k8s.io "{class_name}" not found'
            )
        mode = spec.get("allocationMode") or "ExactCount"
        count = spec.get("count")
        request = _Request(
            claim=slot.claim,
            label=slot.label,
            slot=slot.slot,
            parent=parent,
            sub=sub,
            class_name=class_name,
            device_class=self.classes[class_name],
            selectors=selectors,
            all_mode=mode == "All",
            count=1 if count is None else int(count),
            admin=bool(spec.get("adminAccess")) and not sub,
        )
        if mode == "ExactCount":
            return request
        if mode != "All":
            raise _AllocationError(f"{where}: unsupported count mode {mode}")
        everything = self._all_devices(where, request)
        return replace(request, all_devices=everything, count=len(everything))

    def _all_devices(self, where: str, request: _Request) -> tuple[PoolDevice, ...]:
        """What "all" means for an ``All`` request: every matching device the node sees, free or not."""
        for pool in self.context.pools:
            if pool.state is PoolState.INCOMPLETE:
                raise _AllocationError(
                    f"{where}: asks for all devices, but resource pool {pool.id} is currently being updated"
                )
            if pool.state is PoolState.INVALID:
                raise _AllocationError(
                    f"{where}: asks for all devices, but resource pool {pool.id} is currently invalid"
                )
        return tuple(c for c in self.context.candidates if self.context.matches(request, c))


class _Slot(NamedTuple):
    """Where a request sits: its claim's index and label, and its index among the claim's requests."""

    claim: int
    slot: int
    label: str


def _constraint(label: str, number: int, constraint: Mapping[str, Any]) -> _Constraint:
    if not constraint.get("matchAttribute"):
        raise _AllocationError(f"claim {label}, constraint #{number}: empty constraint (unsupported constraint type?)")
    return _Constraint(str(constraint["matchAttribute"]), frozenset(constraint.get("requests") or ()))


def _claim_label(claim: Mapping[str, Any], index: int) -> str:
    """``klog.KObj``: ``namespace/name``, or the name alone without a namespace."""
    metadata = claim.get("metadata") or {}
    name = str(metadata.get("name") or f"#{index}")
    return f"{metadata['namespace']}/{name}" if metadata.get("namespace") else name


def _selectors(device_class: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    return tuple((device_class.get("spec") or {}).get("selectors") or ())


# --- search ----------------------------------------------------------------------------------------


class _MatchAttribute:
    """A ``matchAttribute`` constraint while the search runs: the value the first device fixed."""

    def __init__(self, constraint: _Constraint) -> None:
        self.constraint = constraint
        self.value: tuple[str, Any] | None = None
        self.count = 0

    def add(self, request: _Request, candidate: PoolDevice) -> bool:
        if not self.constraint.applies(request):
            return True
        value = _attribute(candidate, self.constraint.attribute)
        if value is None:
            return False
        if self.count == 0:
            self.value = value
        elif value[0] == "unknown" or value != self.value:
            return False
        self.count += 1
        return True

    def remove(self, request: _Request) -> None:
        if self.constraint.applies(request):
            self.count -= 1


def _attribute(candidate: PoolDevice, name: str) -> tuple[str, Any] | None:
    """Upstream ``lookupAttribute``: the exact key, or the bare name when the domain is the driver's."""
    attributes = candidate.device.get("attributes") or {}
    attribute = attributes.get(name)
    domain, slash, ident = name.partition("/")
    if attribute is None and slash and domain == candidate.id.driver:
        attribute = attributes.get(ident)
    if attribute is None:
        return None
    kind = next((kind for kind in _ATTRIBUTE_KINDS if attribute.get(kind) is not None), None)
    return ("unknown", None) if kind is None else (kind, attribute[kind])


class _Search:
    """Upstream ``allocateOne``: depth-first over claims, requests and devices, first solution wins."""

    def __init__(self, context: _Context, plans: Sequence[_Plan]) -> None:
        self.context = context
        self.plans = plans
        self.taken: dict[DeviceId, set[int]] = {}
        self.results: dict[int, list[tuple[_Request, PoolDevice]]] = {plan.index: [] for plan in plans}
        self.constraints = {plan.index: [_MatchAttribute(c) for c in plan.constraints] for plan in plans}
        self.positions = {plan.index: position for position, plan in enumerate(plans)}
        self.steps = 0

    def run(self) -> bool:
        try:
            return self._slot(0, 0)
        except _ResultTooLargeError:
            return False

    def _slot(self, position: int, slot: int) -> bool:
        if position == len(self.plans):
            return True
        plan = self.plans[position]
        if slot == len(plan.slots):
            try:
                return self._slot(position + 1, 0)
            except _ResultTooLargeError:
                return False  # not fatal: an earlier claim's other choice may leave room
        if not plan.first_available[slot]:
            return self._fill(plan.slots[slot][0], 0, 0)
        return self._first_available(plan.slots[slot])

    def _first_available(self, alternatives: Sequence[_Request]) -> bool:
        all_too_many = True
        for request in alternatives:
            try:
                if self._fill(request, 0, 0):
                    return True
            except _ResultTooLargeError:
                continue
            all_too_many = False
        if all_too_many:
            raise _ResultTooLargeError
        return False

    def _fill(self, request: _Request, filled: int, start: int) -> bool:
        """Find device number ``filled`` of the request among candidates from ``start`` on."""
        self.steps += 1
        if self.steps > self.context.max_steps:
            raise _BudgetError(
                f"node {self.context.node_name}: timed out trying to allocate devices "
                f"(more than {self.context.max_steps} search steps)"
            )
        if request.all_mode and not request.all_devices:
            return False  # "All" needs at least one device
        if filled >= request.count:
            return self._slot(self.positions[request.claim], request.slot + 1)
        if len(self.results[request.claim]) + request.count - filled > ALLOCATION_RESULTS_MAX_SIZE:
            raise _ResultTooLargeError
        if request.all_mode:
            return self._try(request, request.all_devices[filled], filled, 0, must=True)
        candidates = self.context.candidates
        for position in range(start, len(candidates)):
            candidate = candidates[position]
            if (
                self._free(request, candidate.id)
                and self.context.matches(request, candidate)
                and self._try(request, candidate, filled, position + 1, must=False)
            ):
                return True
        return False

    def _try(self, request: _Request, candidate: PoolDevice, filled: int, start: int, *, must: bool) -> bool:
        if not self._take(request, candidate, must=must):
            return False
        try:
            done = self._fill(request, filled + 1, start)
        except BaseException:
            self._release(request, candidate)
            raise
        if not done:
            self._release(request, candidate)
        return done

    def _free(self, request: _Request, device: DeviceId) -> bool:
        if request.admin:
            return request.claim not in self.taken.get(device, ())
        return device not in self.context.allocated and not self.taken.get(device)

    def _take(self, request: _Request, candidate: PoolDevice, *, must: bool) -> bool:
        if not self._free(request, candidate.id) or candidate.device.get("consumesCounters"):
            return False
        constraints = self.constraints[request.claim]
        for number, constraint in enumerate(constraints):
            if not constraint.add(request, candidate):
                if must:
                    raise _AllocationError(
                        f"claim {request.label}, request {request.own_name}: cannot add device {candidate.id} "
                        "because a claim constraint would not be satisfied"
                    )
                for added in constraints[:number]:
                    added.remove(request)
                return False
        self.taken.setdefault(candidate.id, set()).add(request.claim)
        self.results[request.claim].append((request, candidate))
        return True

    def _release(self, request: _Request, candidate: PoolDevice) -> None:
        for constraint in self.constraints[request.claim]:
            constraint.remove(request)
        self.taken[candidate.id].discard(request.claim)
        self.results[request.claim].pop()


# --- allocation ------------------------------------------------------------------------------------


def allocate_claims(
    claims: Sequence[Mapping[str, Any]],
    *,
    slices: Iterable[Mapping[str, Any]],
    classes: Mapping[str, Mapping[str, Any]],
    node: Mapping[str, Any],
    allocated: Iterable[tuple[str, str, str]] = (),
    features: Features = Features(),
    max_steps: int = DEFAULT_MAX_STEPS,
) -> DraResult:
    """Allocate devices for all of a pod's ``claims`` from what ``node`` sees, as kube-scheduler would.

    ``claims`` are ResourceClaims (or ResourceClaimTemplate ``spec``\\ s: ``{"spec": {"devices":
    ...}}``) in the pod's order; ``classes`` maps DeviceClass names to DeviceClasses;
    ``allocated`` holds the (driver, pool, device) of devices other claims use. See the module
    docstring for the rules and what is not modelled.

    The search is exhaustive and can take exponential time, as upstream's, which the scheduler
    bounds by a filter timeout. Here ``max_steps`` bounds it: a search that needs more steps (one
    step per device slot tried) ends as an error, as a timed-out Filter does in Kubernetes v1.36.
    """
    allocated_ids = frozenset(DeviceId(*device) for device in allocated)
    context = _Context(gather_pools(slices, node), node, allocated_ids, max_steps)
    try:
        plans = _Planner(classes, context, features).plans(claims)
        search = _Search(context, plans)
        found = search.run()
        allocations = _claim_allocations(plans, search) if found else ()
    except _AllocationError as failure:
        return DraResult(Outcome.ERROR, context.node_name, reasons=(str(failure),))
    if found:
        return DraResult(Outcome.ALLOCATED, context.node_name, allocations)
    return DraResult(Outcome.UNSATISFIABLE, context.node_name, reasons=_bounded(_explain(context, plans)))


def _claim_allocations(plans: Sequence[_Plan], search: _Search) -> tuple[ClaimAllocation, ...]:
    allocations = []
    for plan in plans:
        entries = search.results[plan.index]
        devices = tuple(DeviceAllocation(request.name, candidate.id, request.admin) for request, candidate in entries)
        selector = _allocation_node_selector(plan.label, [candidate.slice for _, candidate in entries])
        allocations.append(ClaimAllocation(plan.label, devices, selector))
    return tuple(allocations)


def _allocation_node_selector(label: str, slices: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Upstream ``createNodeSelector``: the node, the joined one-term selectors, or None (anywhere)."""
    fields: list[Mapping[str, Any]] = []
    expressions: list[Mapping[str, Any]] = []
    for resource_slice in slices:
        spec = _spec(resource_slice)
        if spec.get("nodeName"):
            requirement = {"key": "metadata.name", "operator": "In", "values": [spec["nodeName"]]}
            return {"nodeSelectorTerms": [{"matchFields": [requirement]}]}
        terms = (spec.get("nodeSelector") or {}).get("nodeSelectorTerms") or ()
        if len(terms) > 1:
            raise _AllocationError(
                f"create NodeSelector for claim {label}: unsupported ResourceSlice.NodeSelector with {len(terms)} terms"
            )
        for term in terms:
            _add_requirements(term.get("matchFields") or (), fields)
            _add_requirements(term.get("matchExpressions") or (), expressions)
    term = {name: items for name, items in (("matchFields", fields), ("matchExpressions", expressions)) if items}
    return {"nodeSelectorTerms": [term]} if term else None


def _add_requirements(new: Iterable[Mapping[str, Any]], into: list[Mapping[str, Any]]) -> None:
    for requirement in new:
        if not any(_same_requirement(requirement, existing) for existing in into):
            into.append(dict(requirement))


def _same_requirement(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    return (
        left.get("key") == right.get("key")
        and left.get("operator") == right.get("operator")
        and set(left.get("values") or ()) == set(right.get("values") or ())
    )


# --- explanations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Supply:
    """How the node serves one request taken alone: devices that match, those free, CEL failures."""

    matching: tuple[PoolDevice, ...]
    free: tuple[PoolDevice, ...]
    failures: tuple[str, ...] = field(default=())


def _explain(context: _Context, plans: Sequence[_Plan]) -> list[str]:
    """Why the search found nothing: per request, else per claim, else the claims together."""
    reasons = []
    invalid = [f"{pool.id} ({pool.problem})" for pool in context.pools if pool.state is PoolState.INVALID]
    if invalid:
        reasons.append("invalid resource pools were encountered: " + ", ".join(invalid))
    claim_fits = []
    for plan in plans:
        own = [reason for slot in range(len(plan.slots)) for reason in _slot_reasons(context, plan, slot)]
        if not own and not _fits(context, [plan]):
            own = _claim_reasons(context, plan)
        claim_fits.append(not own)
        reasons += own
    if all(claim_fits) and plans:
        reasons.append(_contention(context, plans))
    reasons += [
        f"resource pool {pool.id} is being updated ({pool.problem}): its devices are not allocated"
        for pool in context.pools
        if pool.state is PoolState.INCOMPLETE
    ]
    return reasons


def _bounded(reasons: Sequence[str]) -> tuple[str, ...]:
    if len(reasons) <= MAX_REASONS:
        return tuple(reasons)
    return (*reasons[: MAX_REASONS - 1], f"... and {len(reasons) - MAX_REASONS + 1} more")


def _fits(context: _Context, plans: Sequence[_Plan]) -> bool:
    try:
        return _Search(context, plans).run()
    except _AllocationError:
        return True  # the question cannot be answered here: do not blame this part


def _supply(context: _Context, request: _Request) -> _Supply:
    matching, failures = [], []
    for candidate in context.candidates:
        try:
            if context.matches(request, candidate):
                matching.append(candidate)
        except _AllocationError as failure:
            failures.append(str(failure))
    free = [c for c in matching if request.admin or c.id not in context.allocated]
    return _Supply(tuple(matching), tuple(free), tuple(failures))


def _slot_reasons(context: _Context, plan: _Plan, slot: int) -> list[str]:
    """Reasons when no alternative of the request can be met even with the node to itself."""
    reasons = []
    for request in plan.slots[slot]:
        shortage = _shortage(context, request, _supply(context, request))
        if not shortage:
            return []
        reasons.append(f"claim {plan.label!r}, {_describe(request)}: {shortage}")
    return reasons


def _shortage(context: _Context, request: _Request, supply: _Supply) -> str:
    """What the node lacks for the request on its own ('' when it has enough)."""
    if request.all_mode:
        return _all_shortage(context, supply)
    if request.count > ALLOCATION_RESULTS_MAX_SIZE:
        return f"{request.count} devices exceed the claim limit of {ALLOCATION_RESULTS_MAX_SIZE}"
    matching, free, node = len(supply.matching), len(supply.free), context.node_name
    if matching < request.count:
        if not matching:
            return _no_match(context, supply)
        return f"only {_count(matching, 'device')} on node {node!r} {'match' if matching > 1 else 'matches'}"
    if free < request.count:
        return f"{free} of {matching} matching devices {'is' if free == 1 else 'are'} free on node {node!r}"
    return ""


def _all_shortage(context: _Context, supply: _Supply) -> str:
    matching, busy = len(supply.matching), len(supply.matching) - len(supply.free)
    if not matching:
        return _no_match(context, supply)
    if busy:
        verb = "is" if busy == 1 else "are"
        return f"all {matching} matching devices are needed, but {busy} {verb} in use on node {context.node_name!r}"
    if matching > ALLOCATION_RESULTS_MAX_SIZE:
        return f"its {matching} devices exceed the claim limit of {ALLOCATION_RESULTS_MAX_SIZE}"
    return ""


def _no_match(context: _Context, supply: _Supply) -> str:
    text = f"no device on node {context.node_name!r} matches"
    if supply.failures:
        text += f" ({len(supply.failures)} fail to evaluate, first: {supply.failures[0]})"
    return text


def _describe(request: _Request) -> str:
    amount = "all devices" if request.all_mode else f"exactly {request.count}"
    expressions = [str((s.get("cel") or {}).get("expression")) for s in request.selectors]
    shown = [e if len(e) <= _SELECTOR_TEXT_LIMIT else e[: _SELECTOR_TEXT_LIMIT - 3] + "..." for e in expressions]
    selectors = f" with selectors [{', '.join(map(repr, shown))}]" if shown else ""
    admin = ", admin access" if request.admin else ""
    return f"request {request.name!r} ({amount} of class {request.class_name!r}{selectors}{admin})"


def _claim_reasons(context: _Context, plan: _Plan) -> list[str]:
    """Every request fits alone but the claim does not: its constraints, or its requests together."""
    if plan.constraints and _fits(context, [replace(plan, constraints=())]):
        culprits = [c for c in plan.constraints if not _fits(context, [replace(plan, constraints=(c,))])]
        if not culprits:
            attributes = ", ".join(repr(c.attribute) for c in plan.constraints)
            return [f"claim {plan.label!r}: its matchAttribute constraints on {attributes} cannot all be met at once"]
        return [_constraint_reason(context, plan, c) for c in culprits]
    requests = [alternatives[0] for alternatives in plan.slots]
    return [
        f"claim {plan.label!r}: requests {', '.join(repr(r.parent) for r in requests)} fit one at a time but not "
        f"together: {_demand(context, requests)}"
    ]


def _constraint_reason(context: _Context, plan: _Plan, constraint: _Constraint) -> str:
    in_scope = {r.name: r for alternatives in plan.slots for r in alternatives if constraint.applies(r)}
    values: dict[DeviceId, str] = {}
    for request in in_scope.values():
        for candidate in _supply(context, request).free:
            value = _attribute(candidate, constraint.attribute)
            values[candidate.id] = "missing" if value is None else json.dumps(value[1])
    counts = Counter(values.values())
    seen = ", ".join(f"{value} ({_count(count, 'device')})" for value, count in sorted(counts.items()))
    return (
        f"claim {plan.label!r}: constraint matchAttribute {constraint.attribute!r} over {constraint.scope()} "
        f"cannot be met on node {context.node_name!r}: no set of free matching devices shares one value "
        f"(their values: {seen or 'none'})"
    )


def _contention(context: _Context, plans: Sequence[_Plan]) -> str:
    labels = ", ".join(repr(plan.label) for plan in plans)
    requests = [alternatives[0] for plan in plans for alternatives in plan.slots]
    return f"claims {labels} fit one at a time but not together: {_demand(context, requests)}"


def _demand(context: _Context, requests: Sequence[_Request]) -> str:
    needed = sum(r.count for r in requests)
    pool = {c.id for r in requests for c in _supply(context, r).free}
    return (
        f"they need {_count(needed, 'device')} and {_count(len(pool), 'distinct free device')} "
        f"on node {context.node_name!r} match them"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _spec(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("spec") or {}
