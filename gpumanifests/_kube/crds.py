"""CustomResourceDefinitions: the vendored catalog, and CRDs a user supplies or the tree installs.

The catalog (``gpumanifests/_schemas/crds/``) holds the served versions' schemas of the CRDs of
Argo CD, Kueue, Karpenter, Node Feature Discovery, the NVIDIA GPU Operator, JobSet,
LeaderWorkerSet and the Prometheus Operator, each file naming the upstream repository, ref,
commit and path it was taken from (``tools/refresh_schemas.py`` regenerates them). A cluster may
add CRDs by file (``Cluster(crds=[...])``) or render CustomResourceDefinition objects itself;
those win over the catalog for their kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from gpumanifests._kube.structural import StructuralSchema

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["CRD_API_VERSION", "CrdVersion", "CustomResourceDefinition", "catalog_kinds", "load_crd_file", "vendored"]

CRD_API_VERSION = "apiextensions.k8s.io/v1"


@dataclass(frozen=True)
class CrdVersion:
    """One version a CRD declares, and its structural schema."""

    name: str
    served: bool
    deprecated: bool
    schema: StructuralSchema


@dataclass(frozen=True)
class CustomResourceDefinition:
    """What the API server knows of a custom kind: group, kind, scope and per-version schemas.

    ``source`` says where the definition came from; ``installed_by`` names what must install the
    CRD in the cluster (an operator), or is None when the tree itself installs it.
    """

    group: str
    kind: str
    plural: str
    namespaced: bool
    versions: Mapping[str, CrdVersion]
    source: str
    installed_by: str | None

    @property
    def name(self) -> str:
        """The CRD object's name, ``<plural>.<group>``."""
        return f"{self.plural}.{self.group}"

    def served(self, version: str) -> CrdVersion | None:
        """The served version called ``version``; None when the CRD does not serve it."""
        found = self.versions.get(version)
        return found if found is not None and found.served else None

    def served_text(self) -> str:
        """The served versions, the deprecated ones marked: ``v1beta1 (deprecated), v1beta2``."""
        return ", ".join(
            f"{name} (deprecated)" if version.deprecated else name
            for name, version in self.versions.items()
            if version.served
        )

    @classmethod
    def from_manifest(
        cls, manifest: Mapping[str, Any], *, source: str, installed_by: str | None
    ) -> CustomResourceDefinition:
        """The definition in a ``CustomResourceDefinition`` manifest; ``ValueError`` saying what is missing."""
        try:
            spec = manifest["spec"]
            versions = {
                version["name"]: CrdVersion(
                    name=version["name"],
                    served=bool(version["served"]),
                    deprecated=bool(version.get("deprecated", False)),
                    schema=StructuralSchema(version["schema"]["openAPIV3Schema"]),
                )
                for version in spec["versions"]
            }
            return cls(
                group=spec["group"],
                kind=spec["names"]["kind"],
                plural=spec["names"]["plural"],
                namespaced=spec["scope"] == "Namespaced",
                versions=versions,
                source=source,
                installed_by=installed_by,
            )
        except (KeyError, TypeError) as error:
            raise ValueError(
                f"{source} is not a complete {CRD_API_VERSION} CustomResourceDefinition: missing or malformed "
                f"{error}; each version needs name, served and schema.openAPIV3Schema"
            ) from None


def load_crd_file(path: Path) -> list[CustomResourceDefinition]:
    """The CRDs in a YAML (or JSON) file of one or more documents; ``ValueError`` naming the file and problem."""
    try:
        documents = [doc for doc in YAML(typ="safe", pure=True).load_all(path.read_text(encoding="utf-8")) if doc]
    except OSError as error:
        raise ValueError(f"cannot read CRD file {path}: {error.strerror or error}") from None
    except (YAMLError, UnicodeDecodeError) as error:
        raise ValueError(f"CRD file {path} is not YAML: {error}") from None
    crds = []
    for index, document in enumerate(documents, start=1):
        if not isinstance(document, dict) or document.get("kind") != "CustomResourceDefinition":
            kind = document.get("kind") if isinstance(document, dict) else type(document).__name__
            raise ValueError(f"document {index} of CRD file {path} is a {kind!r}, not a CustomResourceDefinition")
        crds.append(
            CustomResourceDefinition.from_manifest(document, source=f"file {path}", installed_by="its operator")
        )
    if not crds:
        raise ValueError(f"CRD file {path} holds no CustomResourceDefinition")
    return crds


def _catalog() -> Any:
    return files("gpumanifests").joinpath("_schemas", "crds")


@cache
def _index() -> dict[str, Any]:
    return dict(json.loads(_catalog().joinpath("index.json").read_text(encoding="utf-8")))


def catalog_kinds() -> list[str]:
    """The ``<group>/<Kind>`` of every vendored CRD."""
    return list(_index())


@cache
def vendored(group: str, kind: str) -> CustomResourceDefinition | None:
    """The vendored CRD of ``kind`` in ``group``, or None when the catalog has none."""
    entry = _index().get(f"{group}/{kind}")
    if entry is None:
        return None
    document = json.loads(_catalog().joinpath(entry["file"]).read_text(encoding="utf-8"))
    source = entry["source"]
    versions = {
        name: CrdVersion(name, version["served"], version["deprecated"], StructuralSchema(version["schema"]))
        for name, version in document["versions"].items()
    }
    return CustomResourceDefinition(
        group=group,
        kind=kind,
        plural=document["plural"],
        namespaced=document["scope"] == "Namespaced",
        versions=versions,
        source=f"{source['repository']} {source['ref']} ({source['path']})",
        installed_by=entry["installed_by"],
    )
