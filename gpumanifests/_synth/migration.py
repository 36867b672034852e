"""The vendor migration report: what changes when a cluster's workloads move to another GPU profile.

:func:`profile_migration` compares two node profiles (images, accelerator and pool labels,
tolerations, what does not carry over); :func:`migration_report` adds the per-workload field
changes of two clusters whose workloads are paired by name (``metal-ml-training`` with
``nvidia-ml-training``). Every line of :meth:`MigrationReport.format` is derived from the
models; the layout of its first section follows the seed's "For Future Cloud Migration" list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.app import GitOpsApp
from gpumanifests._constructs.cluster import Cluster
from gpumanifests._constructs.component import Component
from gpumanifests._constructs.profiles import Framework, NodeProfile, Toleration, TolerationOperator, Vendor
from gpumanifests._constructs.workloads import GpuJobProps, Workload
from gpumanifests._errors import GpuManifestsError
from gpumanifests._kube.schemas import KindRegistry
from gpumanifests._kube.yaml import dump_yaml
from gpumanifests._synth.diff import field_changes
from gpumanifests.scheduling import taint_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "FieldChange",
    "MigrationError",
    "MigrationReport",
    "ProfileMigration",
    "WorkloadMigration",
    "migration_report",
    "profile_migration",
    "retarget_cluster",
]

_INDENT = "   "
_ABSENT = "(none)"
_DISPLAY_NAMES = {
    Vendor.APPLE: "Metal",
    Vendor.NVIDIA: "NVIDIA",
    Vendor.AMD: "AMD",
    Vendor.INTEL: "Intel",
    Vendor.NONE: "CPU",
}
_FIELD_ORDER = ("image", "node selection", "node preference", "tolerations", "resources", "env", "runtimeClassName")
_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
_PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


class MigrationError(GpuManifestsError):
    """The clusters or profiles given cannot be compared."""


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between two workloads (``None``: the field is absent on that side)."""

    field: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before == self.after:
            return f"{self.field}: {self.before} (unchanged)"
        return f"{self.field}: {self.before or _ABSENT} → {self.after or _ABSENT}"


@dataclass(frozen=True)
class ProfileMigration:
    """What moving from one node profile to another changes, profile by profile."""

    source: NodeProfile
    target: NodeProfile

    @property
    def default_framework(self) -> Framework:
        """The framework a GPU workload gets when it names none (whose image the summary shows)."""
        framework: Framework = GpuJobProps.model_fields["framework"].default
        return framework

    def image_change(self) -> tuple[str | None, str | None]:
        """The default framework's image on each profile."""
        framework = self.default_framework
        return self.source.images.get(framework), self.target.images.get(framework)

    def pool_label_changes(self) -> list[FieldChange]:
        """The pool labels (``gpu-vendor``, ``node-role``) of both profiles, changed or not."""
        return _changes(self.source.pool_labels, self.target.pool_labels, keep_equal=True)

    def not_carried_over(self) -> list[str]:
        """Features of the source profile that the target profile does not provide."""
        notes = [f"{note} (profile {self.source.name})" for note in self.source.not_portable]
        notes.extend(self._resource_notes())
        notes.extend(self._dropped_env("GPU", self.source.env, self.target.env))
        notes.extend(self._dropped_env("CPU", self.source.cpu_env, self.target.cpu_env))
        return notes

    def _resource_notes(self) -> list[str]:
        source, target = self.source.gpu_resource, self.target.gpu_resource
        if source is None or source == target:
            return []
        if target is None:
            return [
                f"extended resource {source} has no equivalent on {self.target.name}: "
                "no device plugin advertises a GPU there, so the GPU limit is dropped"
            ]
        if _is_partial(source):
            return [f"{source} is a share of a GPU; {self.target.name} schedules whole GPUs ({target})"]
        return []

    def _dropped_env(self, kind: str, source: Mapping[str, str], target: Mapping[str, str]) -> list[str]:
        return [
            f"env {name}={value} of {kind} containers (profile {self.source.name}) is dropped"
            for name, value in source.items()
            if name not in target
        ]

    def _image_line(self, profile: NodeProfile, image: str | None) -> str:
        if image is not None:
            return f"image: {image}"
        return f"# profile {profile.name} has no {self.default_framework.value} image: its workloads name their own"

    def summary_lines(self) -> list[str]:
        """The numbered list of the seed's migration section: images, node labels, tolerations."""
        before_image, after_image = self.image_change()
        source_name, target_name = _display_name(self.source), _display_name(self.target)
        return [
            f"When moving to {target_name} GPU infrastructure:",
            "",
            *_numbered_block(
                1,
                "Change Docker Images",
                (f"Current ({source_name})", [self._image_line(self.source, before_image)]),
                (f"Future ({target_name})", [self._image_line(self.target, after_image)]),
            ),
            "",
            *_numbered_block(
                2,
                "Update Node Labels",
                ("Current", _label_lines(self.source.identity_labels)),
                ("Future", _label_lines(self.target.identity_labels)),
            ),
            "",
            *_numbered_block(
                3,
                "Update Tolerations",
                ("Current", _toleration_lines(self.source.tolerations)),
                ("Future", _toleration_lines(self.target.tolerations)),
            ),
        ]


@dataclass(frozen=True)
class WorkloadMigration:
    """One workload in the source cluster and its counterpart in the target cluster."""

    kind: str
    source_name: str
    target_name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class CustomResourceMigration:
    """A custom resource of the source cluster and its counterpart (same group, kind and name) in the target."""

    kind: str
    name: str
    changes: tuple[str, ...]
    """Every differing field, as ``dotted.path: before -> after`` (``(absent)`` where one side has none)."""


@dataclass(frozen=True)
class MigrationReport:
    """The migration of one cluster's workloads to another's (or to another profile)."""

    source_cluster: str
    target_cluster: str
    profiles: ProfileMigration
    workloads: tuple[WorkloadMigration, ...]
    only_in_source: tuple[str, ...]
    only_in_target: tuple[str, ...]
    custom_resources: tuple[CustomResourceMigration, ...] = ()
    pinned_images: tuple[str, ...] = ()
    """Paired GPU workloads whose own image (``image=``) moves with them unchanged, one note each."""

    def format(self) -> str:
        """The report as Markdown text."""
        profiles = self.profiles
        title = (
            f"# Migration: {self.source_cluster} ({profiles.source.name}) → "
            f"{self.target_cluster} ({profiles.target.name})"
        )
        sections = [
            [title, "", *profiles.summary_lines()],
            ["## Pool labels", "", *_bullets(str(change) for change in profiles.pool_label_changes())],
            ["## Workload changes", "", *self._workload_lines()],
            ["## Unpaired workloads", "", *self._unpaired_lines()],
            ["## Does not carry over", "", *_bullets([*profiles.not_carried_over(), *self.pinned_images])],
        ]
        if self.custom_resources:
            sections.insert(3, ["## Custom resources", "", *self._custom_resource_lines()])
        return "\n\n".join("\n".join(section) for section in sections) + "\n"

    def _workload_lines(self) -> list[str]:
        lines: list[str] = []
        for workload in self.workloads:
            lines.append(f"### {workload.kind} {workload.source_name} → {workload.target_name}")
            lines.extend(_bullets((str(change) for change in workload.changes), empty="no field changes"))
            lines.append("")
        return lines[:-1] or ["- no paired workloads"]

    def _custom_resource_lines(self) -> list[str]:
        lines: list[str] = []
        for resource in self.custom_resources:
            lines.append(f"### {resource.kind} {resource.name}")
            lines.extend(_bullets(resource.changes, empty="no field changes"))
            lines.append("")
        return lines[:-1]

    def _unpaired_lines(self) -> list[str]:
        entries = [f"only in {self.source_cluster}: {name}" for name in self.only_in_source]
        entries.extend(f"only in {self.target_cluster}: {name}" for name in self.only_in_target)
        return _bullets(entries)


# -- formatting helpers ----------------------------------------------------------------------


def _display_name(profile: NodeProfile) -> str:
    return _DISPLAY_NAMES[profile.vendor]


def _is_partial(resource: str) -> bool:
    """Whether an extended resource is a MIG slice or a time-sliced/MPS share of a GPU."""
    name = resource.partition("/")[2]
    return name.startswith("mig-") or name.endswith(".shared")


def _bullets(entries: Iterable[str], *, empty: str = "none") -> list[str]:
    return [f"- {entry}" for entry in entries] or [f"- {empty}"]


def _numbered_block(number: int, title: str, *parts: tuple[str, list[str]]) -> list[str]:
    """``N. **Title**:`` and an indented YAML block of commented parts separated by blank lines."""
    body: list[str] = []
    for comment, lines in parts:
        if body:
            body.append("")
        body.append(f"# {comment}")
        body.extend(lines)
    return [f"{number}. **{title}**:", f"{_INDENT}```yaml", *(f"{_INDENT}{line}" for line in body), f"{_INDENT}```"]


def _label_lines(labels: Mapping[str, str]) -> list[str]:
    return [f"{key}={value}" for key, value in labels.items()] or ["# (no labels)"]


def _yaml_entry(key: str, value: str) -> str:
    """``key: value`` with the value quoted exactly when YAML needs it."""
    return dump_yaml({key: value}).rstrip("\n")


def _toleration_lines(tolerations: Iterable[Toleration]) -> list[str]:
    """Tolerations as a YAML list in key, operator, value, effect order (the default ``Equal`` omitted)."""
    lines: list[str] = []
    for toleration in tolerations:
        entry = toleration.to_dict()
        if toleration.operator is TolerationOperator.EQUAL:
            del entry["operator"]
        fields = [_yaml_entry(key, value) for key, value in entry.items()]
        lines.extend([f"- {fields[0]}", *(f"  {field}" for field in fields[1:])])
    return lines or ["[]"]


# -- workload comparison ---------------------------------------------------------------------


def _field_rank(field: str) -> int:
    category = field.split(".", 1)[0]
    return _FIELD_ORDER.index(category) if category in _FIELD_ORDER else len(_FIELD_ORDER)


def _changes(before: Mapping[str, str], after: Mapping[str, str], *, keep_equal: bool = False) -> list[FieldChange]:
    """The fields of ``before`` and ``after`` that differ (all of them with ``keep_equal``), in facet order."""
    keys = sorted(dict.fromkeys([*before, *after]), key=_field_rank)
    return [
        FieldChange(key, before.get(key), after.get(key))
        for key in keys
        if keep_equal or before.get(key) != after.get(key)
    ]


def _expression(expression: Mapping[str, Any]) -> str:
    values = expression.get("values")
    suffix = f" ({', '.join(values)})" if values else ""
    return f"{expression['key']} {expression['operator']}{suffix}"


def _node_selection(affinity: Mapping[str, Any]) -> dict[str, str]:
    node = affinity.get("nodeAffinity", {})
    required = [
        _expression(expression)
        for term in node.get(_REQUIRED, {}).get("nodeSelectorTerms", [])
        for expression in term.get("matchExpressions", [])
    ]
    preferred = [
        _expression(expression)
        for term in node.get(_PREFERRED, [])
        for expression in term["preference"].get("matchExpressions", [])
    ]
    facets = {"node selection": ", ".join(required)} if required else {}
    if preferred:
        facets["node preference"] = ", ".join(preferred)
    return facets


def _toleration_text(toleration: Mapping[str, str]) -> str:
    """``key=value:Effect (Operator)``: what the toleration matches, written as the taint it tolerates."""
    return f"{taint_text(toleration)} ({toleration.get('operator') or 'Equal'})"


def _facets(pod: Mapping[str, Any]) -> dict[str, str]:
    """The migration-relevant fields of a pod spec, flattened to ``field: value`` strings."""
    container = pod["containers"][0]
    facets = {"image": str(container["image"])}
    facets |= _node_selection(pod.get("affinity", {}))
    tolerations = [_toleration_text(toleration) for toleration in pod.get("tolerations", [])]
    if tolerations:
        facets["tolerations"] = ", ".join(tolerations)
    resources = dict(container.get("resources", {}))
    claims = resources.pop("claims", [])
    for section, amounts in resources.items():
        facets |= {f"resources.{section}.{name}": str(amount) for name, amount in amounts.items()}
    if claims:
        facets["resources.claims"] = ", ".join(claim["name"] for claim in claims)
    pod_claims = [
        entry.get("resourceClaimTemplateName") or entry.get("resourceClaimName")
        for entry in pod.get("resourceClaims", [])
    ]
    if pod_claims:
        facets["resourceClaims"] = ", ".join(str(name) for name in pod_claims)
    facets |= {f"env.{entry['name']}": str(entry.get("value", "")) for entry in container.get("env", [])}
    if "runtimeClassName" in pod:
        facets["runtimeClassName"] = str(pod["runtimeClassName"])
    return facets


def _cluster_workloads(cluster: Cluster) -> list[Workload[Any]]:
    """The workloads the apps declared (not the generated node configuration's), in declaration order."""
    generated = {id(configuration.component) for configuration in cluster.node_configurations}
    return [workload for workload in cluster.workloads() if id(workload.component) not in generated]


def primary_gpu_profile(cluster: Cluster) -> NodeProfile:
    """The cluster's first GPU profile, whose workloads the report migrates."""
    profiles = cluster.gpu_profiles()
    if not profiles:
        raise MigrationError(f"cluster {cluster.name!r} has no GPU node profile; there is nothing to migrate")
    return profiles[0]


def _pair_key(workload: Workload[Any], profile: NodeProfile) -> str:
    """The workload name with the profile-name prefix abstracted (``metal-ml-training`` -> ``*-ml-training``)."""
    prefix = f"{profile.name}-"
    return f"*-{workload.name.removeprefix(prefix)}" if workload.name.startswith(prefix) else workload.name


def _pair(source: Workload[Any], target: Workload[Any]) -> WorkloadMigration:
    changes = _changes(_facets(source.pod_template_spec()), _facets(target.pod_template_spec()))
    kind = source.kind if source.kind == target.kind else f"{source.kind} → {target.kind}"
    return WorkloadMigration(kind, source.name, target.name, tuple(changes))


def profile_migration(source: NodeProfile, target: NodeProfile) -> ProfileMigration:
    """What moving workloads from profile ``source`` to profile ``target`` changes."""
    return ProfileMigration(source, target)


def migration_report(source: Cluster, target: Cluster) -> MigrationReport:
    """Compare the workloads of ``source`` with their counterparts in ``target``, paired by name."""
    profiles = profile_migration(primary_gpu_profile(source), primary_gpu_profile(target))
    theirs = {_pair_key(workload, profiles.target): workload for workload in _cluster_workloads(target)}
    pairs, only_in_source, pinned = [], [], []
    for workload in _cluster_workloads(source):
        counterpart = theirs.pop(_pair_key(workload, profiles.source), None)
        if counterpart is None:
            only_in_source.append(workload.name)
        else:
            pairs.append(_pair(workload, counterpart))
            pinned.extend(_pinned_image_note(workload, counterpart))
    only_in_target = tuple(workload.name for workload in theirs.values())
    return MigrationReport(
        source.name,
        target.name,
        profiles,
        tuple(pairs),
        tuple(only_in_source),
        only_in_target,
        _custom_resource_changes(source, target),
        tuple(pinned),
    )


def _pinned_image_note(source: Workload[Any], target: Workload[Any]) -> list[str]:
    """A note when a GPU workload's own image moves unchanged to a GPU profile that offers another one."""
    image, profile = source.pinned_image, target.profile
    if image is None or profile is None or target.image != image:
        return []
    default = profile.images.get(source.props.framework)
    offered = f"; the profile's {source.props.framework.value} image there is {default}" if default else ""
    return [
        f"{source.kind} {source.name} names its own image {image} (image=), which {target.name} keeps on "
        f"profile {profile.name}: check that it is built for {_display_name(profile)}{offered}"
    ]


def _custom_resources(cluster: Cluster) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The cluster's custom resources as rendered, by (API group, kind, name)."""
    registry = KindRegistry(cluster.kubernetes.version, cluster.crds)
    found = {}
    for component in cluster.components:
        for resource in component.resources:
            for obj in resource.render():
                if not registry.is_builtin(obj.manifest["apiVersion"], obj.manifest["kind"]):
                    found[(*obj.key[:2], obj.key[3])] = obj.manifest
    return found


def _custom_resource_changes(source: Cluster, target: Cluster) -> tuple[CustomResourceMigration, ...]:
    """Field-by-field changes of the custom resources the two clusters share; the others say where they are."""
    before, after = _custom_resources(source), _custom_resources(target)
    migrations = []
    for key in sorted({*before, *after}):
        _, kind, name = key
        if key not in after:
            changes: tuple[str, ...] = (f"only in {source.name}",)
        elif key not in before:
            changes = (f"only in {target.name}",)
        else:
            changes = tuple(field_changes(before[key], after[key]))
        migrations.append(CustomResourceMigration(kind, name, changes))
    return tuple(migrations)


# -- one cluster under another profile ---------------------------------------------------------


def _rename(name: str, source: NodeProfile, target: NodeProfile) -> str:
    prefix = f"{source.name}-"
    return f"{target.name}-{name.removeprefix(prefix)}" if name.startswith(prefix) else name


def _copy_workload(
    workload: Workload[Any], component: Component, sources: Sequence[NodeProfile], target: NodeProfile
) -> None:
    """Declare ``workload`` again in ``component``, on ``target``: every option, intent-method call and patch."""
    props = workload.props
    options = {field: getattr(props, field) for field in props.model_fields_set - {"name"}}
    if options.get("profile") in sources:
        options["profile"] = target
    copy = type(workload)(component, _renamed(workload.name, sources, target), **options)
    workload.repeat_on(copy)


def _renamed(name: str, sources: Sequence[NodeProfile], target: NodeProfile) -> str:
    for source in sources:
        if name.startswith(f"{source.name}-"):
            return _rename(name, source, target)
    return name


def retarget_cluster(cluster: Cluster, target: NodeProfile) -> Cluster:
    """The same cluster, in a new app, with every GPU profile replaced by ``target``.

    Nodes keep their capacity; workloads keep every option they were declared with, every
    intent-method call and JSON patch, and names starting with an old profile's name start
    with the new one's.
    """
    primary_gpu_profile(cluster)  # refuses a cluster without GPUs
    sources = cluster.gpu_profiles()
    nodes = [node.model_copy(update={"profile": target}) if node.profile in sources else node for node in cluster.nodes]
    props = cluster.props
    shadow = Cluster(
        GitOpsApp(),
        cluster.name,
        nodes=nodes,
        repo=props.repo,
        server=props.server,
        argocd_cluster=props.argocd_cluster,
    )
    copies: dict[int, Component] = {}
    for workload in _cluster_workloads(cluster):
        component = workload.component
        if id(component) not in copies:
            name = _renamed(component.name, sources, target)
            copies[id(component)] = Component(shadow, name, namespace=component.namespace)
        _copy_workload(workload, copies[id(component)], sources, target)
    return shadow
