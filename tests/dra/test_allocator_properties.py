"""Properties of allocate_claims on random slices, classes and claims (hypothesis)."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gpumanifests._placement.dra import DeviceId, DraResult, Outcome, allocate_claims, device_matches, gather_pools

NODE = {"metadata": {"name": "node-1", "labels": {"zone": "a"}}}
DRIVERS = ("gpu.example.com", "nic.example.com")


def _class(name: str, *expressions: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"selectors": [{"cel": {"expression": e}} for e in expressions]}}


CLASSES = {
    "gpu": _class("gpu", 'device.driver == "gpu.example.com"'),
    "nic": _class("nic", 'device.driver == "nic.example.com"'),
    "any": _class("any"),
    "big": _class("big", '"memory" in device.capacity[device.driver]'),
}
IN_ZONE_A = {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}
SELECTORS = (
    # guarded, so no device makes them fail at runtime; the foreign domain reads as an empty map
    '"model" in device.attributes["gpu.example.com"] && device.attributes["gpu.example.com"].model == "a100"',
    '!("numa" in device.attributes["gpu.example.com"]) || device.attributes["gpu.example.com"].numa == 0',
    '"memory" in device.capacity["gpu.example.com"] && '
    'device.capacity["gpu.example.com"].memory.compareTo(quantity("40Gi")) >= 0',
    '"driverVersion" in device.attributes["gpu.example.com"] && '
    'device.attributes["gpu.example.com"].driverVersion.isGreaterThan(semver("550.0.0"))',
)


@st.composite
def devices(draw: st.DrawFn, prefix: str) -> list[dict[str, Any]]:
    result = []
    for index in range(draw(st.integers(1, 6))):
        attributes: dict[str, Any] = {}
        if draw(st.booleans()):
            attributes["model"] = {"string": draw(st.sampled_from(["a100", "h100"]))}
        if draw(st.booleans()):
            attributes["numa"] = {"int": draw(st.integers(0, 1))}
        if draw(st.booleans()):
            attributes["driverVersion"] = {"version": draw(st.sampled_from(["535.1.0", "550.54.15", "560.0.0-rc.1"]))}
        device: dict[str, Any] = {"name": f"{prefix}-{index}", "attributes": attributes}
        if draw(st.booleans()):
            device["capacity"] = {"memory": {"value": draw(st.sampled_from(["40Gi", "80Gi", "24Gi"]))}}
        result.append(device)
    return result


@st.composite
def slices(draw: st.DrawFn) -> list[dict[str, Any]]:
    result = []
    for index in range(draw(st.integers(1, 3))):
        where = draw(
            st.sampled_from(
                [
                    {"nodeName": "node-1"},
                    {"nodeName": "node-1"},
                    {"nodeName": "node-2"},
                    {"allNodes": True},
                    {"nodeSelector": IN_ZONE_A},
                ]
            )
        )
        spec = {
            "driver": draw(st.sampled_from(DRIVERS)),
            "pool": {"name": f"pool-{index}", "generation": 1, "resourceSliceCount": 1},
            **where,
            "devices": draw(devices(f"dev{index}")),
        }
        result.append({"metadata": {"name": f"slice-{index}"}, "spec": spec})
    return result


@st.composite
def exact(draw: st.DrawFn, *, all_mode: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"deviceClassName": draw(st.sampled_from(["gpu", "gpu", "any", "nic", "big"]))}
    if all_mode and draw(st.booleans()):
        spec["allocationMode"] = "All"
    else:
        spec["allocationMode"] = "ExactCount"
        spec["count"] = draw(st.integers(1, 2))
    if draw(st.integers(0, 2)) == 0:
        spec["selectors"] = [{"cel": {"expression": draw(st.sampled_from(SELECTORS))}}]
    return spec


@st.composite
def claims(draw: st.DrawFn, *, all_mode: bool = True) -> list[dict[str, Any]]:
    result = []
    for index in range(draw(st.integers(1, 2))):
        requests: list[dict[str, Any]] = []
        for number in range(draw(st.integers(1, 2))):
            if draw(st.booleans()):
                spec = draw(exact(all_mode=all_mode))
                if draw(st.integers(0, 4)) == 0:
                    spec["adminAccess"] = True
                requests.append({"name": f"req-{number}", "exactly": spec})
            else:
                alternatives = [
                    {"name": f"sub-{n}", **draw(exact(all_mode=all_mode))} for n in range(draw(st.integers(1, 3)))
                ]
                requests.append({"name": f"req-{number}", "firstAvailable": alternatives})
        devices_spec: dict[str, Any] = {"requests": requests}
        if draw(st.booleans()):
            devices_spec["constraints"] = [{"matchAttribute": "gpu.example.com/numa"}]
        metadata = {"name": f"claim-{index}", "namespace": "default"}
        result.append({"metadata": metadata, "spec": {"devices": devices_spec}})
    return result


def visible_devices(slice_list: list[dict[str, Any]]) -> dict[DeviceId, tuple[str, dict[str, Any]]]:
    return {
        candidate.id: (candidate.id.driver, dict(candidate.device))
        for pool in gather_pools(slice_list, NODE)
        for candidate in pool.candidates()
    }


def allocated_from(draw: st.DrawFn, slice_list: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    every = sorted(visible_devices(slice_list))
    return draw(st.lists(st.sampled_from(every), unique=True, max_size=3)) if every else []


def allocate(
    claim_list: list[dict[str, Any]], slice_list: list[dict[str, Any]], allocated: list[tuple[str, str, str]]
) -> DraResult:
    return allocate_claims(claim_list, slices=slice_list, classes=CLASSES, node=NODE, allocated=allocated)


def request_spec(claim: dict[str, Any], name: str) -> dict[str, Any]:
    parent, _, sub = name.partition("/")
    request = next(r for r in claim["spec"]["devices"]["requests"] if r["name"] == parent)
    if not sub:
        return dict(request["exactly"])
    return dict(next(s for s in request["firstAvailable"] if s["name"] == sub))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_device_is_allocated_twice(data: st.DataObject) -> None:
    slice_list = data.draw(slices())
    allocated = allocated_from(data.draw, slice_list)
    result = allocate(data.draw(claims()), slice_list, allocated)
    if result.outcome is not Outcome.ALLOCATED:
        assert result.claims == ()
        assert result.reasons
    exclusive = Counter(d.device for claim in result.claims for d in claim.devices if not d.admin_access)
    assert [device for device, count in exclusive.items() if count > 1] == []
    assert not set(exclusive) & set(allocated)
    for claim in result.claims:
        within = Counter(d.device for d in claim.devices)
        assert [device for device, count in within.items() if count > 1] == []


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_allocated_devices_satisfy_their_request(data: st.DataObject) -> None:
    slice_list = data.draw(slices())
    claim_list = data.draw(claims())
    result = allocate(claim_list, slice_list, allocated_from(data.draw, slice_list))
    visible = visible_devices(slice_list)
    if not result:
        return
    for claim, allocation in zip(claim_list, result.claims, strict=True):
        taken: Counter[str] = Counter()
        for entry in allocation.devices:
            spec = request_spec(claim, entry.request)
            driver, device = visible[entry.device]
            device_class = CLASSES[spec["deviceClassName"]]
            assert device_matches(device, driver=driver, selectors=device_class["spec"].get("selectors", []))
            assert device_matches(device, driver=driver, selectors=spec.get("selectors", []))
            assert entry.admin_access == bool(spec.get("adminAccess"))
            taken[entry.request] += 1
        for name, count in taken.items():
            spec = request_spec(claim, name)
            if spec["allocationMode"] == "ExactCount":
                assert count == spec["count"]
        chosen = {entry.parent_request for entry in allocation.devices}
        assert chosen == {r["name"] for r in claim["spec"]["devices"]["requests"]}


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_free_device_never_turns_a_fit_into_a_misfit(data: st.DataObject) -> None:
    """Holds for ExactCount requests (plain or alternatives); an ``All`` request changes with the devices."""
    slice_list = data.draw(slices())
    claim_list = data.draw(claims(all_mode=False))
    allocated = allocated_from(data.draw, slice_list)
    before = allocate(claim_list, slice_list, allocated)
    extra_device = data.draw(devices("extra"))[0]
    if slice_list and data.draw(st.booleans()):
        grown = [dict(s, spec=dict(s["spec"], devices=[*s["spec"]["devices"]])) for s in slice_list]
        target = data.draw(st.sampled_from(grown))
        target["spec"]["devices"].insert(data.draw(st.integers(0, len(target["spec"]["devices"]))), extra_device)
    else:
        spec = {
            "driver": data.draw(st.sampled_from(DRIVERS)),
            "pool": {"name": "extra", "generation": 1, "resourceSliceCount": 1},
            "nodeName": "node-1",
            "devices": [extra_device],
        }
        grown = [*slice_list, {"metadata": {"name": "slice-extra"}, "spec": spec}]
    after = allocate(claim_list, grown, allocated)
    if before:
        assert after, after.reasons


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_results_are_deterministic_and_ignore_the_order_slices_are_listed_in(data: st.DataObject) -> None:
    slice_list = data.draw(slices())
    claim_list = data.draw(claims())
    allocated = allocated_from(data.draw, slice_list)
    first = allocate(claim_list, slice_list, allocated)
    assert allocate(claim_list, slice_list, allocated) == first
    shuffled = list(slice_list)
    random.Random(data.draw(st.integers(0, 2**32))).shuffle(shuffled)
    assert allocate(claim_list, shuffled, list(reversed(allocated))) == first


def brute_force_fits(claim_list: list[dict[str, Any]], slice_list: list[dict[str, Any]], allocated: set[Any]) -> bool:
    """Whether any choice of alternatives and distinct free devices meets every request and constraint."""
    visible = visible_devices(slice_list)
    order = sorted(visible)
    requests = [
        (index, alternatives)
        for index, claim in enumerate(claim_list)
        for alternatives in (
            [r["exactly"]] if "exactly" in r else r["firstAvailable"] for r in claim["spec"]["devices"]["requests"]
        )
    ]

    def matching(spec: dict[str, Any]) -> list[DeviceId]:
        selectors = [*CLASSES[spec["deviceClassName"]]["spec"]["selectors"], *spec.get("selectors", [])]
        return [
            d
            for d in order
            if d not in allocated and device_matches(visible[d][1], driver=d.driver, selectors=selectors)
        ]

    def constraints_hold(chosen: list[tuple[int, DeviceId]]) -> bool:
        for index, claim in enumerate(claim_list):
            if claim["spec"]["devices"].get("constraints"):
                values = [
                    visible[d][1]["attributes"].get("numa") if d.driver == DRIVERS[0] else None
                    for i, d in chosen
                    if i == index
                ]
                if None in values or len({json.dumps(v) for v in values}) > 1:
                    return False
        return True

    def search(position: int, used: frozenset[DeviceId], chosen: list[tuple[int, DeviceId]]) -> bool:
        if position == len(requests):
            return constraints_hold(chosen)
        index, alternatives = requests[position]
        for spec, candidates in zip(alternatives, candidates_of[position], strict=True):
            free = [d for d in candidates if d not in used]
            for combination in itertools.combinations(free, spec["count"]):
                picked = [(index, d) for d in combination]
                if search(position + 1, used | set(combination), chosen + picked):
                    return True
        return False

    candidates_of = [[matching(spec) for spec in alternatives] for _, alternatives in requests]
    return search(0, frozenset(), [])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_search_is_complete(data: st.DataObject) -> None:
    """Without admin access or ``All``, the allocator finds an allocation exactly when one exists."""
    slice_list = data.draw(slices())
    claim_list = data.draw(claims(all_mode=False))
    for claim in claim_list:
        for request in claim["spec"]["devices"]["requests"]:
            request.get("exactly", {}).pop("adminAccess", None)
    allocated = allocated_from(data.draw, slice_list)
    result = allocate(claim_list, slice_list, allocated)
    assert bool(result) == brute_force_fits(claim_list, slice_list, {DeviceId(*d) for d in allocated}), result
