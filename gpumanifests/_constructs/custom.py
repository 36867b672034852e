"""Custom resources, and manifests from files: objects gpumanifests does not model field by field.

Both are validated at synth like every other object: a custom resource strictly against its
CRD's schema for the served version it names (unknown fields, types, enums, CEL rules), a
manifest of a built-in kind against the cluster's Kubernetes schema. The CRD comes from the
cluster's ``crds=[...]`` files, from a CustomResourceDefinition the tree itself installs (for
example through a :class:`ManifestFile`), or from the vendored catalog.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, Field, JsonValue, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from gpumanifests._constructs.component import RenderedObject, Resource
from gpumanifests._errors import InvalidInputError
from gpumanifests._kube.names import check_dns_subdomain, is_dns_label
from gpumanifests._props import DnsSubdomain, LabelKey, LabelValue, Props, matching, parse_props

if TYPE_CHECKING:
    from gpumanifests._constructs.component import ResourceScope

__all__ = ["CustomResource", "ManifestFile"]

_KIND = re.compile(r"[A-Z][A-Za-z0-9]*")
_RESERVED_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})


def _check_api_version(value: str) -> str:
    group, slash, version = value.rpartition("/")
    if not slash or not group or not is_dns_label(version):
        raise ValueError(
            f"{value!r} is not a custom resource apiVersion: <group>/<version>, the group a DNS subdomain "
            "and the version a DNS label (for example 'kueue.x-k8s.io/v1beta2')"
        )
    check_dns_subdomain(group)
    return value


ApiVersion = Annotated[str, AfterValidator(_check_api_version)]
Kind = Annotated[
    str, matching(_KIND, "a kind: letters and digits starting with an uppercase letter ('ResourceFlavor')")
]


class CustomResourceProps(Props):
    """Validated props of :class:`CustomResource`."""

    name: DnsSubdomain
    api_version: ApiVersion
    kind: Kind
    spec: dict[str, JsonValue] | None = None
    fields: dict[str, JsonValue] = Field(default_factory=dict)
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    annotations: dict[LabelKey, str] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _not_the_fixed_fields(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        taken = sorted(_RESERVED_FIELDS & set(value))
        if taken:
            raise ValueError(
                f"{', '.join(taken)} cannot be set through fields: apiVersion and kind are arguments, "
                "metadata comes from name, labels and annotations, spec is its own argument, status is the controller's"
            )
        return value


class CustomResource(Resource):
    """An object of any custom kind, validated at synth against its CRD like a built-in.

    **Usage**::

        gm.CustomResource(queues, "a100", api_version="kueue.x-k8s.io/v1beta2", kind="ResourceFlavor",
                          spec={"nodeLabels": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}})

    ``name`` defaults to the construct id. The object goes into the component's namespace when its
    kind is namespaced and has no namespace when it is cluster-scoped (the CRD's ``spec.scope``).
    ``fields`` are top-level fields other than ``spec`` (a WorkloadPriorityClass's ``value``).
    When the CRD is not installed by the tree, the object gets Argo CD's
    ``SkipDryRunOnMissingResource=true`` and the cluster's README names the operator it needs.
    """

    def __init__(
        self,
        scope: ResourceScope,
        id: str,
        *,
        api_version: str,
        kind: str,
        name: str | None = None,
        spec: dict[str, Any] | None = None,
        fields: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
    ) -> None:
        self.props = parse_props(
            CustomResourceProps,
            f"CustomResource {id!r}",
            name=id if name is None else name,
            api_version=api_version,
            kind=kind,
            spec=spec,
            fields=fields or {},
            labels=labels or {},
            annotations=annotations or {},
        )
        super().__init__(scope, id)

    def _render(self) -> list[RenderedObject]:
        props = self.props
        metadata: dict[str, Any] = {"name": props.name}
        if props.labels:
            metadata["labels"] = dict(props.labels)
        if props.annotations:
            metadata["annotations"] = dict(props.annotations)
        manifest: dict[str, Any] = {"apiVersion": props.api_version, "kind": props.kind, "metadata": metadata}
        if props.spec is not None:
            manifest["spec"] = copy.deepcopy(props.spec)
        manifest |= copy.deepcopy(props.fields)
        return [RenderedObject(manifest, self.path)]


class _ManifestFileProps(Props):
    path: Path


class ManifestFile(Resource):
    """The Kubernetes objects of a YAML file, each committed and validated like the rest.

    **Usage**: ``gm.ManifestFile(operators, "kueue-crds", path=Path(__file__).parent / "kueue-crds.yaml")``.
    Use it for what the tree itself should install, such as a CustomResourceDefinition (whose
    custom resources then sync after it) or a vendor's manifests. The file is read at construction;
    a file that cannot be read, is not YAML, or holds anything but objects with ``apiVersion``,
    ``kind`` and ``metadata.name`` is refused naming the file and the document.
    """

    def __init__(self, scope: ResourceScope, id: str, *, path: Path | str) -> None:
        self.props = parse_props(_ManifestFileProps, f"ManifestFile {id!r}", path=path)
        self.documents = _read_documents(self.props.path, f"ManifestFile {id!r}")
        super().__init__(scope, id)

    def _render(self) -> list[RenderedObject]:
        return [
            RenderedObject(copy.deepcopy(document), f"{self.path}/{document['kind']}/{document['metadata']['name']}")
            for document in self.documents
        ]


def _read_documents(path: Path, owner: str) -> list[dict[str, Any]]:
    try:
        documents = [doc for doc in YAML(typ="safe", pure=True).load_all(path.read_text(encoding="utf-8")) if doc]
    except OSError as error:
        raise InvalidInputError(f"{owner}: path={str(path)!r}: cannot be read: {error.strerror or error}") from None
    except (YAMLError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"{owner}: path={str(path)!r}: is not YAML: {error}") from None
    for index, document in enumerate(documents, start=1):
        complete = isinstance(document, dict) and isinstance(document.get("metadata"), dict)
        if not complete or not all(isinstance(document.get(key), str) for key in ("apiVersion", "kind")):
            raise InvalidInputError(
                f"{owner}: path={str(path)!r}: document {index} is not a Kubernetes object "
                "(it needs apiVersion, kind and metadata.name)"
            )
        if not isinstance(document["metadata"].get("name"), str):
            raise InvalidInputError(f"{owner}: path={str(path)!r}: document {index} has no metadata.name")
    if not documents:
        raise InvalidInputError(f"{owner}: path={str(path)!r}: holds no documents")
    return documents
