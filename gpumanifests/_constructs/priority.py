"""PriorityClass: how the scheduler orders pods, and whom it may preempt to place them.

A pod names its class with ``priority_class_name``; the Priority admission plugin refuses a pod
whose class does not exist, so synth checks the name resolves (in the tree, one of the built-in
``system-*`` classes, or declared external) and syncs the class before the pods in its component.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from gpumanifests._constructs.component import RenderedObject, Resource
from gpumanifests._props import DnsSubdomain, Props, parse_props

if TYPE_CHECKING:
    from gpumanifests._constructs.component import ResourceScope

__all__ = ["PriorityClass"]

_HIGHEST_USER_VALUE = 1_000_000_000
"""Values above this are reserved for the system classes (scheduling/v1 validation)."""


class _PriorityClassProps(Props):
    name: DnsSubdomain
    value: int = Field(ge=-2_147_483_648, le=_HIGHEST_USER_VALUE, strict=True)
    preempts: bool = True
    global_default: bool = False
    description: str = ""

    @field_validator("name")
    @classmethod
    def _not_a_system_name(cls, value: str) -> str:
        if value.startswith("system-"):
            raise ValueError(f"{value!r}: names starting with 'system-' are reserved for Kubernetes' own classes")
        return value


class PriorityClass(Resource):
    """A cluster-wide PriorityClass: pods that name it are scheduled (and admitted) in ``value`` order.

    **Usage**: ``gm.PriorityClass(serving, "inference-critical", value=100000, description="...")``,
    then ``priority_class_name="inference-critical"`` on a workload. ``value`` is at most
    1,000,000,000 (higher values are the system classes'). ``preempts=True`` (the Kubernetes default,
    ``PreemptLowerPriority``) lets the scheduler evict lower-priority pods to place its pods;
    ``False`` (``Never``) only queues them ahead. ``global_default=True`` gives its value to pods that
    name no class.
    """

    def __init__(
        self,
        scope: ResourceScope,
        id: str,
        *,
        value: int,
        preempts: bool = True,
        global_default: bool = False,
        description: str = "",
    ) -> None:
        self.props = parse_props(
            _PriorityClassProps,
            f"PriorityClass {id!r}",
            name=id,
            value=value,
            preempts=preempts,
            global_default=global_default,
            description=description,
        )
        super().__init__(scope, id)

    @property
    def name(self) -> str:
        """The class name pods refer to."""
        return self.props.name

    def _render(self) -> list[RenderedObject]:
        props = self.props
        manifest: dict[str, Any] = {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": props.name},
            "preemptionPolicy": "PreemptLowerPriority" if props.preempts else "Never",
            "value": props.value,
        }
        if props.global_default:
            manifest["globalDefault"] = True
        if props.description:
            manifest["description"] = props.description
        return [RenderedObject(manifest, self.path)]
