"""Typed Argo CD objects: the Application, ApplicationSet and AppProject documents gpumanifests emits.

Each model refuses at construction what Argo CD would reject or silently misread, plus what the
production checklist forbids (the ``default`` project, wildcard allow-lists, unpinned sources).
``to_manifest()`` gives the camelCase document with keys in a fixed order (``apiVersion``,
``kind``, ``metadata``, ``spec``), which :func:`gpumanifests._argocd.schema.validate_argocd_object`
accepts.

**Usage**::

    app = Application(
        name="metal-ml-training",
        project="ml-platform",
        source=GitSource(repo_url="https://github.com/acme/gitops.git", target_revision="main",
                         path="gitops/clusters/prod/metal-ml-training"),
        destination=Destination(namespace="ml-training"),
        sync_wave=1,
    )
    app.to_manifest()
"""

from __future__ import annotations

import difflib
import re
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from gpumanifests._argocd.schema import ARGOCD_API_VERSION
from gpumanifests._argocd.waves import SYNC_WAVE_ANNOTATION
from gpumanifests._kube.names import check_dns_subdomain
from gpumanifests._props import DnsLabel, LabelKey, LabelValue, Props, matching

__all__ = [
    "COMPARE_OPTIONS_ANNOTATION",
    "DEFAULT_SYNC_OPTIONS",
    "IN_CLUSTER_SERVER",
    "RESOURCES_FINALIZER",
    "AppProject",
    "Application",
    "ApplicationSet",
    "Destination",
    "GitSource",
    "GroupKind",
    "IgnoreDifferences",
    "Retry",
    "SyncOption",
    "SyncPolicy",
]

SYNC_OPTIONS_ANNOTATION = "argocd.argoproj.io/sync-options"
"""On a resource: sync options for that resource alone (comma-separated)."""
COMPARE_OPTIONS_ANNOTATION = "argocd.argoproj.io/compare-options"
"""On a resource: how it counts in its Application's sync status. ``IgnoreExtraneous``: once it is
no longer in git, it does not make the Application OutOfSync (docs/user-guide/compare-options.md)."""
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
"""The API server address Argo CD uses for the cluster it runs in."""
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
"""On an Application: delete its resources (foreground cascade) before the Application goes.
On an AppProject: keep the project until no Application references it (``AppProject.HasFinalizer``
in argo-cd pkg/apis/application/v1alpha1/app_project_types.go checks the same name)."""

_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
_PORT = r"(?::[0-9]{1,5})?"
_REPO_URL_FORMS = (
    re.compile(rf"https://{_HOST}{_PORT}/\S+"),
    re.compile(rf"ssh://(?:[\w.-]+@)?{_HOST}{_PORT}/\S+"),
    re.compile(rf"[\w.-]+@{_HOST}:(?!/)\S+"),
    re.compile(r"file:///\S+"),
)
_REPO_URL_HELP = (
    "a git URL without credentials: https://host/path, ssh://[user@]host[:port]/path, "
    "user@host:path or file:///path (for example 'https://github.com/acme/gitops.git' "
    "or 'git@github.com:acme/gitops.git')"
)
_SERVER_URL = re.compile(rf"https://{_HOST}{_PORT}(?:/\S*)?")
_GIT_REVISION = re.compile(r"(?!/)(?!.*\.\.)(?!.*/$)(?!.*\.lock$)[^\s~^:?*\[\\]+")
_KIND = re.compile(r"[A-Z][A-Za-z0-9]*")
# Go's time.ParseDuration takes both micro signs, U+00B5 and U+03BC
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": Fraction(1, 10**9),
    "us": Fraction(1, 10**6),
    "µs": Fraction(1, 10**6),
    "μs": Fraction(1, 10**6),
    "ms": Fraction(1, 1000),
    "s": Fraction(1),
    "m": Fraction(60),
    "h": Fraction(3600),
}


def _check_repo_url(value: str) -> str:
    if not any(form.fullmatch(value) for form in _REPO_URL_FORMS):
        raise ValueError(f"{value!r} is not {_REPO_URL_HELP}")
    return value


def _check_repo_path(value: str) -> str:
    if not value or value.startswith("/") or ".." in value.split("/"):
        raise ValueError(
            f"{value!r} is not a directory relative to the repository root: it must be non-empty, "
            "must not start with '/' and must not contain a '..' segment (for example 'gitops/clusters/prod/ml')"
        )
    return value


def _check_glob(value: str) -> str:
    balanced = value.count("{") == value.count("}") and value.count("[") == value.count("]")
    if not value or not balanced:
        raise ValueError(
            f"{value!r} is not a file glob: it must be non-empty with balanced '{{}}' and '[]' "
            "(for example '*.yaml' or '{*.yaml,*.yml}')"
        )
    return value


def _check_cluster_name(value: str) -> str:
    if not value or any(char.isspace() for char in value):
        raise ValueError(
            f"{value!r} is not an Argo CD cluster name: non-empty, no whitespace (for example 'in-cluster')"
        )
    return value


def _go_duration_seconds(value: str) -> Fraction:
    """The length of a Go duration (``time.ParseDuration`` syntax), refusing zero and negatives."""
    if not re.fullmatch(f"(?:{_DURATION_PART.pattern})+", value):
        raise ValueError(
            f"{value!r} is not a Go duration: one or more number-unit pairs with units "
            "ns, us, ms, s, m or h (for example '5s', '3m' or '1m30s')"
        )
    seconds = sum(
        (Fraction(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(value)),
        Fraction(0),
    )
    if seconds <= 0:
        raise ValueError(f"{value!r} is zero; a retry backoff must be longer than zero (for example '5s')")
    return seconds


def _check_go_duration(value: str) -> str:
    _go_duration_seconds(value)
    return value


RepoUrl = Annotated[str, AfterValidator(_check_repo_url)]
GitRevision = Annotated[
    str,
    matching(
        _GIT_REVISION,
        "a git branch, tag or commit: no whitespace, '..', leading or trailing '/', '.lock' suffix "
        "or any of ~^:?*[\\ (for example 'main', 'v1.4.0' or a commit SHA)",
    ),
]
RepoPath = Annotated[str, AfterValidator(_check_repo_path)]
Glob = Annotated[str, AfterValidator(_check_glob)]
ServerUrl = Annotated[
    str, matching(_SERVER_URL, f"an https:// URL of a Kubernetes API server (for example {IN_CLUSTER_SERVER!r})")
]
ClusterName = Annotated[str, AfterValidator(_check_cluster_name)]
GoDuration = Annotated[str, AfterValidator(_check_go_duration)]


def _first_repeat(items: list[Any]) -> Any:
    """The first item that occurs twice in ``items``, or ``None``."""
    seen: list[Any] = []
    for item in items:
        if item in seen:
            return item
        seen.append(item)
    return None


def _metadata(
    *,
    name: str,
    namespace: str,
    sync_wave: int | None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``metadata`` with sorted labels and annotations, the sync wave among the annotations."""
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = dict(sorted(labels.items()))
    notes = dict(annotations or {})
    if sync_wave is not None:
        notes[SYNC_WAVE_ANNOTATION] = str(sync_wave)
    if notes:
        metadata["annotations"] = dict(sorted(notes.items()))
    return metadata


class GitSource(Props):
    """``spec.source`` of an Application: one plain-YAML directory of a git repository.

    Argo CD reads the directory as a Directory app (no Helm, Kustomize or Jsonnet detection).
    ``directory_recurse`` defaults to False, so only files directly in ``path`` are read;
    ``include`` defaults to ``*.yaml`` so stray files (READMEs, metadata JSON) are ignored, and
    ``exclude`` (omitted by default) wins over ``include``.
    """

    repo_url: RepoUrl
    target_revision: GitRevision
    path: RepoPath
    directory_recurse: bool = False
    include: Glob = "*.yaml"
    exclude: Glob | None = None

    def to_dict(self) -> dict[str, Any]:
        """The source as ``spec.source`` holds it, ``directory.recurse`` always explicit."""
        directory: dict[str, Any] = {"recurse": self.directory_recurse, "include": self.include}
        if self.exclude is not None:
            directory["exclude"] = self.exclude
        return {
            "repoURL": self.repo_url,
            "targetRevision": self.target_revision,
            "path": self.path,
            "directory": directory,
        }


class Destination(Props):
    """Where an Application deploys: a cluster, by API ``server`` URL or Argo CD cluster ``name``, and a namespace.

    ``server`` defaults to the cluster Argo CD runs in unless ``name`` is given; setting both is
    an error, as in Argo CD. ``namespace`` is applied only to namespaced objects that lack one.
    """

    server: ServerUrl | None = IN_CLUSTER_SERVER
    name: ClusterName | None = None
    namespace: DnsLabel

    @model_validator(mode="before")
    @classmethod
    def _name_replaces_default_server(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("name") is not None and "server" not in data:
            return {**data, "server": None}
        return data

    @model_validator(mode="after")
    def _exactly_one_cluster(self) -> Self:
        if (self.server is None) == (self.name is None):
            raise ValueError(
                f"destination has server={self.server!r} and name={self.name!r}; "
                "set exactly one of server (an API URL) or name (an Argo CD cluster name)"
            )
        return self

    def to_dict(self) -> dict[str, str]:
        """The destination as ``spec.destination`` or ``spec.destinations[]`` holds it."""
        if self.server is not None:
            return {"server": self.server, "namespace": self.namespace}
        assert self.name is not None  # _exactly_one_cluster
        return {"name": self.name, "namespace": self.namespace}


class SyncOption(StrEnum):
    """An Application-level ``syncPolicy.syncOptions`` entry (argo-cd docs/user-guide/sync-options.md)."""

    CREATE_NAMESPACE = "CreateNamespace=true"
    """Create the destination namespace if it is missing (only when the Namespace is not rendered)."""
    SERVER_SIDE_APPLY = "ServerSideApply=true"
    """``kubectl apply --server-side --force-conflicts``: no 256 KiB last-applied annotation limit."""
    PRUNE_LAST = "PruneLast=true"
    """Prune in a final implicit wave, after everything else is applied and healthy."""
    APPLY_OUT_OF_SYNC_ONLY = "ApplyOutOfSyncOnly=true"
    """Apply only the objects that are out of sync instead of every object."""
    FAIL_ON_SHARED_RESOURCE = "FailOnSharedResource=true"
    """Fail the sync when an object is already managed by another Application."""
    RESPECT_IGNORE_DIFFERENCES = "RespectIgnoreDifferences=true"
    """Honour ``ignoreDifferences`` when applying, not only when diffing."""
    SKIP_DRY_RUN_ON_MISSING_RESOURCE = "SkipDryRunOnMissingResource=true"
    """Skip the dry run for kinds whose CRD is not in the cluster yet."""
    VALIDATE_FALSE = "Validate=false"
    """``kubectl apply --validate=false``."""
    REPLACE = "Replace=true"
    """``kubectl replace``/``create`` instead of apply (destructive; wins over server-side apply)."""
    PRUNE_FALSE = "Prune=false"
    """Never prune any object of the Application."""
    PRUNE_CONFIRM = "Prune=confirm"
    """Prune only after a person confirms it."""
    DELETE_FALSE = "Delete=false"
    """Keep the objects when the Application is deleted."""
    DELETE_CONFIRM = "Delete=confirm"
    """Delete the objects with the Application only after a person confirms it."""
    CLIENT_SIDE_APPLY_MIGRATION_FALSE = "ClientSideApplyMigration=false"
    """Do not move client-side-apply field ownership to Argo CD's server-side manager."""
    PRUNE_PROPAGATION_FOREGROUND = "PrunePropagationPolicy=foreground"
    """Prune with foreground cascading deletion (Argo CD's default)."""
    PRUNE_PROPAGATION_BACKGROUND = "PrunePropagationPolicy=background"
    """Prune with background cascading deletion."""
    PRUNE_PROPAGATION_ORPHAN = "PrunePropagationPolicy=orphan"
    """Prune the object but orphan its dependents."""


_SYNC_OPTIONS = [str(option) for option in SyncOption]


def _parse_sync_option(value: Any) -> Any:
    """Refuse a string that is not a sync option with the closest real one and the full list."""
    if isinstance(value, str) and value not in _SYNC_OPTIONS:
        close = difflib.get_close_matches(value, _SYNC_OPTIONS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"{value!r} is not an Argo CD sync option; {hint}allowed: {', '.join(_SYNC_OPTIONS)}")
    return value


class Retry(Props):
    """``syncPolicy.retry``: retry a failed sync ``limit`` times with exponential backoff.

    The wait starts at ``backoff_duration``, is multiplied by ``backoff_factor`` after each
    failure and is capped at ``backoff_max_duration``; both durations use Go syntax (``30s``,
    ``2m``). ``limit=0`` turns retries off and ``limit=-1`` retries without end.
    """

    limit: int = 5
    backoff_duration: GoDuration = "5s"
    backoff_factor: int = 2
    backoff_max_duration: GoDuration = "3m"

    @field_validator("limit")
    @classmethod
    def _limit_is_a_count(cls, value: int) -> int:
        if value < -1:
            raise ValueError(f"retry limit {value} is below -1; use a number of retries, 0 for none or -1 for no limit")
        return value

    @field_validator("backoff_factor")
    @classmethod
    def _factor_grows(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"backoff factor {value} is below 1; use 1 for a constant wait or 2 to double it")
        return value

    @model_validator(mode="after")
    def _cap_not_below_start(self) -> Self:
        if _go_duration_seconds(self.backoff_max_duration) < _go_duration_seconds(self.backoff_duration):
            raise ValueError(
                f"backoff_max_duration {self.backoff_max_duration!r} is shorter than backoff_duration "
                f"{self.backoff_duration!r}; the cap must be at least the first wait"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """The retry policy as ``syncPolicy.retry`` holds it."""
        backoff = {
            "duration": self.backoff_duration,
            "factor": self.backoff_factor,
            "maxDuration": self.backoff_max_duration,
        }
        return {"limit": self.limit, "backoff": backoff}


DEFAULT_SYNC_OPTIONS = (
    SyncOption.SERVER_SIDE_APPLY,
    SyncOption.PRUNE_LAST,
    SyncOption.FAIL_ON_SHARED_RESOURCE,
)


class SyncPolicy(Props):
    """``spec.syncPolicy``: automated sync that keeps the cluster equal to git.

    ``prune`` deletes objects removed from git, ``self_heal`` reverts changes made in the
    cluster, and ``allow_empty=False`` stops a render with no objects from pruning everything.
    ``options`` defaults to server-side apply, prune last and failing on objects shared with
    another Application.
    """

    prune: bool = True
    self_heal: bool = True
    allow_empty: bool = False
    options: tuple[Annotated[SyncOption, BeforeValidator(_parse_sync_option)], ...] = DEFAULT_SYNC_OPTIONS
    retry: Retry = Field(default_factory=Retry)

    @field_validator("options")
    @classmethod
    def _no_conflicting_options(cls, options: tuple[SyncOption, ...]) -> tuple[SyncOption, ...]:
        chosen: dict[str, SyncOption] = {}
        for option in options:
            setting = option.partition("=")[0]
            if setting in chosen:
                raise ValueError(
                    f"sync options {str(chosen[setting])!r} and {str(option)!r} both set {setting}; keep one"
                )
            chosen[setting] = option
        if SyncOption.REPLACE in options and SyncOption.SERVER_SIDE_APPLY in options:
            raise ValueError(
                "sync options 'Replace=true' and 'ServerSideApply=true' conflict: Argo CD lets Replace win "
                "and skips server-side apply; keep one"
            )
        return options

    @model_validator(mode="after")
    def _prune_not_switched_off(self) -> Self:
        if self.prune and SyncOption.PRUNE_FALSE in self.options:
            raise ValueError(
                "prune=True turns on automated pruning but sync option 'Prune=false' turns pruning off "
                "for every object; set prune=False or drop the option"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """The policy as ``spec.syncPolicy`` holds it."""
        policy: dict[str, Any] = {
            "automated": {"prune": self.prune, "selfHeal": self.self_heal, "allowEmpty": self.allow_empty}
        }
        if self.options:
            policy["syncOptions"] = [str(option) for option in self.options]
        policy["retry"] = self.retry.to_dict()
        return policy


class IgnoreDifferences(Props):
    """``spec.ignoreDifferences[]``: fields of objects of one kind that another controller owns.

    With the ``RespectIgnoreDifferences=true`` sync option Argo CD also leaves those fields alone
    when it syncs, instead of only hiding them from the diff.
    """

    group: str
    kind: str
    managed_fields_managers: tuple[str, ...] = ()
    jq_path_expressions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"group": self.group, "kind": self.kind}
        if self.jq_path_expressions:
            entry["jqPathExpressions"] = list(self.jq_path_expressions)
        if self.managed_fields_managers:
            entry["managedFieldsManagers"] = list(self.managed_fields_managers)
        return entry


class Application(Props):
    """An Argo CD Application: sync one git directory into one destination, in one project.

    It lives in the Argo CD namespace (``argocd``). ``finalizer=True`` adds the resources
    finalizer, so deleting the Application deletes its objects first; ``sync_wave`` orders it
    among sibling objects of a parent (app-of-apps) Application; ``sync_policy`` defaults to
    :class:`SyncPolicy`'s automated prune and self-heal.
    """

    name: DnsLabel
    namespace: DnsLabel = "argocd"
    project: DnsLabel
    source: GitSource
    destination: Destination
    sync_policy: SyncPolicy = Field(default_factory=SyncPolicy)
    sync_wave: int | None = None
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    annotations: dict[LabelKey, str] = Field(default_factory=dict)
    finalizer: bool = True
    ignore_differences: tuple[IgnoreDifferences, ...] = ()

    @field_validator("project")
    @classmethod
    def _not_the_default_project(cls, value: str) -> str:
        if value == "default":
            raise ValueError(
                "'default' is Argo CD's built-in project, which permits every repository, destination and "
                "kind; create an AppProject with exact allow-lists and name it here"
            )
        return value

    @field_validator("annotations")
    @classmethod
    def _wave_is_a_field(cls, value: dict[str, str]) -> dict[str, str]:
        if SYNC_WAVE_ANNOTATION in value:
            raise ValueError(
                f"annotation {SYNC_WAVE_ANNOTATION}={value[SYNC_WAVE_ANNOTATION]!r} is set through sync_wave; "
                "pass sync_wave=<int> instead"
            )
        return value

    def to_manifest(self) -> dict[str, Any]:
        """The Application document."""
        metadata = _metadata(
            name=self.name,
            namespace=self.namespace,
            sync_wave=self.sync_wave,
            labels=self.labels,
            annotations=self.annotations,
        )
        if self.finalizer:
            metadata["finalizers"] = [RESOURCES_FINALIZER]
        spec: dict[str, Any] = {
            "project": self.project,
            "source": self.source.to_dict(),
            "destination": self.destination.to_dict(),
            "syncPolicy": self.sync_policy.to_dict(),
        }
        if self.ignore_differences:
            spec["ignoreDifferences"] = [entry.to_dict() for entry in self.ignore_differences]
        return {"apiVersion": ARGOCD_API_VERSION, "kind": "Application", "metadata": metadata, "spec": spec}


class ApplicationSet(Props):
    """An Argo CD ApplicationSet making one root Application per git directory (git directory generator).

    Each of ``directories`` (exact paths in the repository, no globs) becomes an Application
    named ``<segment>-root``, where ``<segment>`` is the directory's path segment at
    ``name_segment``, syncing that directory into ``destination`` under ``project``. The
    template is Go text (``goTemplate`` with ``missingkey=error``, so a misspelt variable fails
    instead of rendering empty). ``project`` is fixed: a templated project would let a commit
    choose its own permissions. ``preserve_resources_on_deletion`` (on) keeps what the generated
    Applications deployed when the ApplicationSet is deleted or stops generating one: the
    controller then leaves the resources finalizer off them, so they go without cascading.
    """

    name: DnsLabel
    namespace: DnsLabel = "argocd"
    project: DnsLabel
    repo_url: RepoUrl
    target_revision: GitRevision
    directories: tuple[RepoPath, ...] = Field(min_length=1)
    name_segment: int = Field(ge=0)
    destination: Destination
    sync_policy: SyncPolicy = Field(default_factory=SyncPolicy)
    preserve_resources_on_deletion: bool = True

    @field_validator("directories")
    @classmethod
    def _each_directory_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        repeat = _first_repeat(list(value))
        if repeat is not None:
            raise ValueError(f"{repeat!r} is listed twice; list each directory once")
        return value

    @model_validator(mode="after")
    def _every_directory_has_the_name_segment(self) -> Self:
        short = [path for path in self.directories if len(path.split("/")) <= self.name_segment]
        if short:
            raise ValueError(
                f"directory {short[0]!r} has no path segment {self.name_segment} to name its Application after"
            )
        return self

    def to_manifest(self) -> dict[str, Any]:
        """The ApplicationSet document."""
        source = GitSource(repo_url=self.repo_url, target_revision=self.target_revision, path=self.directories[0])
        template = {
            "metadata": {
                "name": f"{{{{ index .path.segments {self.name_segment} }}}}-root",
                "namespace": self.namespace,
            },
            "spec": {
                "project": self.project,
                "source": source.to_dict() | {"path": "{{ .path.path }}"},
                "destination": self.destination.to_dict(),
                "syncPolicy": self.sync_policy.to_dict(),
            },
        }
        git = {
            "repoURL": self.repo_url,
            "revision": self.target_revision,
            "directories": [{"path": path} for path in self.directories],
        }
        spec: dict[str, Any] = {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"git": git}],
            "syncPolicy": {"preserveResourcesOnDeletion": self.preserve_resources_on_deletion},
            "template": template,
        }
        metadata = _metadata(name=self.name, namespace=self.namespace, sync_wave=None)
        return {"apiVersion": ARGOCD_API_VERSION, "kind": "ApplicationSet", "metadata": metadata, "spec": spec}


class GroupKind(Props):
    """An API group and kind in an AppProject allow-list; ``group=""`` is the core group."""

    group: str
    kind: str

    @field_validator("group")
    @classmethod
    def _group_is_core_or_subdomain(cls, value: str) -> str:
        try:
            return check_dns_subdomain(value) if value else value
        except ValueError:
            raise ValueError(
                f"{value!r} is not an API group: '' for the core group or a DNS subdomain "
                "(for example 'apps' or 'rbac.authorization.k8s.io'); wildcards are not allowed, list each group"
            ) from None

    @field_validator("kind")
    @classmethod
    def _kind_is_camel_case(cls, value: str) -> str:
        if not _KIND.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a Kubernetes kind: letters and digits starting with an uppercase letter "
                "(for example 'Namespace'); wildcards are not allowed, list each kind"
            )
        return value

    def to_dict(self) -> dict[str, str]:
        """The entry as ``clusterResourceWhitelist[]`` and ``namespaceResourceWhitelist[]`` hold it."""
        return {"group": self.group, "kind": self.kind}


class AppProject(Props):
    """An Argo CD AppProject: what its Applications may deploy, from where, to where.

    Every list is an exact allow-list, with no globs. ``cluster_resource_whitelist`` is
    allow-list semantics, so the default ``[]`` permits no cluster-scoped kind.
    ``namespace_resource_whitelist=None`` (the default) omits the field, which permits every
    namespaced kind; an empty list is refused because Argo CD reads it the same way.
    ``deny_namespaced=True`` permits no namespaced kind at all (a ``*``/``*`` blacklist, the only
    way Argo CD has to say so), for projects that deploy only cluster-scoped objects. The
    resources finalizer keeps the project until no Application references it.
    """

    name: DnsLabel
    namespace: DnsLabel = "argocd"
    description: str
    source_repos: list[RepoUrl] = Field(min_length=1)
    destinations: list[Destination] = Field(min_length=1)
    cluster_resource_whitelist: list[GroupKind] = Field(default_factory=list)
    namespace_resource_whitelist: list[GroupKind] | None = None
    deny_namespaced: bool = False
    sync_wave: int | None = None

    @model_validator(mode="after")
    def _deny_or_allow_list(self) -> Self:
        if self.deny_namespaced and self.namespace_resource_whitelist is not None:
            raise ValueError(
                "deny_namespaced=True permits no namespaced kind, so a namespace_resource_whitelist contradicts it; "
                "pass one of them"
            )
        return self

    @field_validator("name")
    @classmethod
    def _not_the_default_project(cls, value: str) -> str:
        if value == "default":
            raise ValueError("'default' is Argo CD's built-in project and permits everything; choose another name")
        return value

    @field_validator("description")
    @classmethod
    def _description_fits(cls, value: str) -> str:
        if len(value) > 255:
            raise ValueError(f"description is {len(value)} characters; Argo CD's CRD allows at most 255")
        return value

    @field_validator("source_repos", "destinations", "cluster_resource_whitelist", "namespace_resource_whitelist")
    @classmethod
    def _no_repeats(cls, value: list[Any] | None) -> list[Any] | None:
        repeat = _first_repeat(value or [])
        if repeat is not None:
            raise ValueError(f"{repeat!r} is listed twice; list each entry once")
        return value

    @field_validator("namespace_resource_whitelist")
    @classmethod
    def _empty_means_everything(cls, value: list[GroupKind] | None) -> list[GroupKind] | None:
        if value == []:
            raise ValueError(
                "an empty namespace_resource_whitelist permits every namespaced kind in Argo CD; "
                "list the kinds, or pass None to permit all of them on purpose"
            )
        return value

    def to_manifest(self) -> dict[str, Any]:
        """The AppProject document."""
        metadata = _metadata(name=self.name, namespace=self.namespace, sync_wave=self.sync_wave)
        metadata["finalizers"] = [RESOURCES_FINALIZER]
        spec: dict[str, Any] = {
            "description": self.description,
            "sourceRepos": list(self.source_repos),
            "destinations": [destination.to_dict() for destination in self.destinations],
            "clusterResourceWhitelist": [entry.to_dict() for entry in self.cluster_resource_whitelist],
        }
        if self.namespace_resource_whitelist is not None:
            spec["namespaceResourceWhitelist"] = [entry.to_dict() for entry in self.namespace_resource_whitelist]
        if self.deny_namespaced:
            spec["namespaceResourceBlacklist"] = [{"group": "*", "kind": "*"}]
        return {"apiVersion": ARGOCD_API_VERSION, "kind": "AppProject", "metadata": metadata, "spec": spec}
