"""Argo CD wiring: least-privilege projects derived from what was rendered, sync policy and sync waves.

Expectations are computed from the rendered objects of the same synth, never written as
literals, so a new kind or namespace is checked the moment an app adds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

import gpumanifests as gm
from gpumanifests._synth.loader import load_apps

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
FINALIZER = "resources-finalizer.argocd.argoproj.io"
WAVE = "argocd.argoproj.io/sync-wave"
RBAC_GROUP = "rbac.authorization.k8s.io"


def _documents(files: dict[str, bytes], prefix: str) -> dict[str, list[dict[str, Any]]]:
    """The YAML documents under ``prefix``, by their first directory (node-setup left out)."""
    dirs: dict[str, list[dict[str, Any]]] = {}
    for path, content in files.items():
        directory = path.removeprefix(prefix).split("/")[0]
        if path.startswith(prefix) and path.endswith(".yaml") and directory != "node-setup":
            dirs.setdefault(directory, []).append(yaml.safe_load(content))
    return dirs


class Tree:
    """The parsed documents of one synthesized cluster, by directory, and its root Application.

    A cluster on its own has its root in its ``bootstrap/``; a fleet member's root is the fleet
    ApplicationSet's template, and its bootstrap project is the fleet's.
    """

    def __init__(self, cluster: gm.Cluster, files: dict[str, bytes]) -> None:
        self.name = cluster.name
        self.dirs = _documents(files, f"clusters/{cluster.name}/")
        self.fleet = cluster.fleet.name if cluster.fleet is not None else None
        self.bootstrap = self.dirs.get("bootstrap", [])
        if self.fleet is not None:
            self.bootstrap = _documents(files, f"fleets/{self.fleet}/")["bootstrap"]

    @property
    def component_dirs(self) -> dict[str, list[dict[str, Any]]]:
        return {name: docs for name, docs in self.dirs.items() if name not in {"apps", "bootstrap"}}

    def rendered(self) -> list[dict[str, Any]]:
        return [doc for docs in self.component_dirs.values() for doc in docs]

    def of_kind(self, directory: str, kind: str) -> list[dict[str, Any]]:
        return [doc for doc in self.dirs[directory] if doc["kind"] == kind]

    @property
    def project(self) -> dict[str, Any]:
        (project,) = self.of_kind("apps", "AppProject")
        return project

    @property
    def applications(self) -> list[dict[str, Any]]:
        return self.of_kind("apps", "Application")

    def application(self, directory: str) -> dict[str, Any]:
        """The Application syncing component ``directory``."""
        (found,) = [app for app in self.applications if app["spec"]["source"]["path"].endswith(f"/{directory}")]
        return found

    @property
    def bootstrap_project(self) -> dict[str, Any]:
        (project,) = [doc for doc in self.bootstrap if doc["kind"] == "AppProject"]
        return project

    @property
    def root(self) -> dict[str, Any]:
        """The root Application: the bootstrap's, or the fleet ApplicationSet's template for this cluster."""
        [root] = [doc for doc in self.bootstrap if doc["kind"] == "Application"] or [
            {
                "metadata": doc["spec"]["template"]["metadata"] | {"name": f"{self.name}-root"},
                "spec": doc["spec"]["template"]["spec"]
                | {"source": doc["spec"]["template"]["spec"]["source"] | {"path": self._fleet_directory(doc)}},
            }
            for doc in self.bootstrap
            if doc["kind"] == "ApplicationSet"
        ]
        return root

    def _fleet_directory(self, appset: dict[str, Any]) -> str:
        (directory,) = [
            entry["path"]
            for entry in appset["spec"]["generators"][0]["git"]["directories"]
            if entry["path"].split("/")[2] == self.name
        ]
        return str(directory)


def trees_of(app: gm.GitOpsApp) -> dict[str, Tree]:
    files = gm.synthesize(app).files
    return {cluster.name: Tree(cluster, files) for cluster in app.clusters}


SEED = trees_of(load_apps(ROOT / "apps"))
seed_clusters = pytest.mark.parametrize("tree", list(SEED.values()), ids=list(SEED))


def wave(doc: dict[str, Any]) -> int:
    return int(doc["metadata"]["annotations"][WAVE])


def group_kind(doc: dict[str, Any]) -> tuple[str, str]:
    return (doc["apiVersion"].rpartition("/")[0], doc["kind"])


def granted(entries: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(entry["group"], entry["kind"]) for entry in entries}


# -- Applications ------------------------------------------------------------------------------


@seed_clusters
def test_every_application_uses_the_cluster_project_never_default(tree: Tree) -> None:
    assert tree.project["metadata"]["name"] == tree.name
    for application in tree.applications:
        assert application["spec"]["project"] == tree.name
    assert tree.root["spec"]["project"] == tree.bootstrap_project["metadata"]["name"] != "default"


@seed_clusters
def test_every_application_syncs_automatically_with_prune_self_heal_and_retry(tree: Tree) -> None:
    for application in [*tree.applications, tree.root]:
        policy = application["spec"]["syncPolicy"]
        assert policy["automated"]["prune"] is True
        assert policy["automated"]["selfHeal"] is True
        assert policy["retry"]["limit"] > 0
        assert policy["retry"]["backoff"]["duration"]


@seed_clusters
def test_every_application_has_the_resources_finalizer(tree: Tree) -> None:
    # a fleet member's root is the ApplicationSet controller's: it adds no finalizer under
    # preserveResourcesOnDeletion (tests/fleet checks that choice)
    roots = [] if tree.fleet else [tree.root]
    for application in [*tree.applications, *roots]:
        assert FINALIZER in application["metadata"]["finalizers"]


@seed_clusters
def test_every_component_application_uses_server_side_apply(tree: Tree) -> None:
    for application in tree.applications:
        assert "ServerSideApply=true" in application["spec"]["syncPolicy"]["syncOptions"]


@seed_clusters
def test_one_application_per_component_directory_syncing_exactly_it(tree: Tree) -> None:
    qualified = (lambda directory: f"{tree.name}-{directory}") if tree.fleet else (lambda directory: directory)
    assert {app["metadata"]["name"] for app in tree.applications} == {qualified(d) for d in tree.component_dirs}
    for directory in tree.component_dirs:
        application = tree.application(directory)
        assert application["metadata"]["name"] == qualified(directory)
        assert application["spec"]["source"]["path"] == f"gitops/clusters/{tree.name}/{directory}"
        assert application["spec"]["source"]["directory"]["recurse"] is False


# -- the AppProject grants exactly what is rendered --------------------------------------------


def _expected_cluster_kinds(tree: Tree) -> set[tuple[str, str]]:
    return {group_kind(doc) for doc in tree.rendered() if "namespace" not in doc["metadata"]}


def _expected_namespaced_kinds(tree: Tree) -> set[tuple[str, str]]:
    return {group_kind(doc) for doc in tree.rendered() if "namespace" in doc["metadata"]}


def _cluster_of(destination: dict[str, str]) -> str:
    """The destination's cluster: its server URL or its Argo CD cluster name (Argo CD takes exactly one)."""
    (cluster,) = [destination[key] for key in ("server", "name") if key in destination]
    return cluster


def _expected_destinations(tree: Tree) -> set[tuple[str, str]]:
    return {
        (_cluster_of(app["spec"]["destination"]), app["spec"]["destination"]["namespace"]) for app in tree.applications
    } | {
        (_cluster_of(app["spec"]["destination"]), doc["metadata"]["namespace"])
        for app in tree.applications
        for doc in tree.dirs[app["spec"]["source"]["path"].rpartition("/")[2]]
        if "namespace" in doc["metadata"]
    }


@seed_clusters
def test_project_allows_exactly_the_repository_of_its_applications(tree: Tree) -> None:
    repos = {app["spec"]["source"]["repoURL"] for app in tree.applications}
    assert len(repos) == 1
    assert tree.project["spec"]["sourceRepos"] == sorted(repos)


@seed_clusters
def test_project_allows_exactly_the_destinations_used(tree: Tree) -> None:
    destinations = {(_cluster_of(entry), entry["namespace"]) for entry in tree.project["spec"]["destinations"]}
    assert destinations == _expected_destinations(tree)
    assert len(tree.project["spec"]["destinations"]) == len(destinations)


@seed_clusters
def test_project_allows_exactly_the_cluster_scoped_kinds_rendered(tree: Tree) -> None:
    assert granted(tree.project["spec"]["clusterResourceWhitelist"]) == _expected_cluster_kinds(tree)


@seed_clusters
def test_project_allows_exactly_the_namespaced_kinds_rendered(tree: Tree) -> None:
    assert granted(tree.project["spec"]["namespaceResourceWhitelist"]) == _expected_namespaced_kinds(tree)


@seed_clusters
def test_project_grants_no_wildcards(tree: Tree) -> None:
    spec = tree.project["spec"]
    values = [
        *spec["sourceRepos"],
        *(entry["namespace"] for entry in spec["destinations"]),
        *(entry[key] for entry in spec["clusterResourceWhitelist"] for key in ("group", "kind")),
        *(entry[key] for entry in spec["namespaceResourceWhitelist"] for key in ("group", "kind")),
    ]
    assert not [value for value in values if "*" in value]


def test_a_new_cluster_scoped_kind_is_granted_in_the_same_synth(
    app: gm.GitOpsApp, cluster: Callable[..., gm.Cluster]
) -> None:
    component = gm.Component(cluster("prio"), "ml")
    gm.k8s.KubePriorityClass(component, "high", metadata={"name": "ml-high"}, value=1000)
    tree = trees_of(app)["prio"]
    assert ("scheduling.k8s.io", "PriorityClass") in _expected_cluster_kinds(tree)
    assert granted(tree.project["spec"]["clusterResourceWhitelist"]) == _expected_cluster_kinds(tree)


def test_a_new_namespaced_kind_is_granted_in_the_same_synth(
    app: gm.GitOpsApp, cluster: Callable[..., gm.Cluster]
) -> None:
    component = gm.Component(cluster("quota"), "ml")
    gm.k8s.KubeResourceQuota(
        component, "quota", metadata={"name": "ml"}, spec={"hard": {"pods": gm.k8s.Quantity.from_string("10")}}
    )
    tree = trees_of(app)["quota"]
    assert ("", "ResourceQuota") in granted(tree.project["spec"]["namespaceResourceWhitelist"])
    assert granted(tree.project["spec"]["namespaceResourceWhitelist"]) == _expected_namespaced_kinds(tree)


def test_a_new_namespace_becomes_a_destination_in_the_same_synth(
    app: gm.GitOpsApp, cluster: Callable[..., gm.Cluster]
) -> None:
    created = cluster("ns")
    gm.Component(created, "serving", namespace="model-serving")
    tree = trees_of(app)["ns"]
    destinations = {(entry["server"], entry["namespace"]) for entry in tree.project["spec"]["destinations"]}
    assert ("https://kubernetes.default.svc", "model-serving") in destinations
    assert destinations == _expected_destinations(tree)


# -- sync waves --------------------------------------------------------------------------------


@seed_clusters
def test_project_syncs_before_every_application(tree: Tree) -> None:
    assert all(wave(tree.project) < wave(application) for application in tree.applications)


@seed_clusters
def test_node_configuration_syncs_before_the_gpu_workloads(tree: Tree) -> None:
    node_apps = [app for app in tree.applications if app["metadata"]["name"].endswith("-gpu-nodes")]
    assert node_apps
    gpu_dirs = {
        name
        for name, docs in tree.component_dirs.items()
        if any(doc["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "gpu-workload" for doc in docs)
    }
    assert gpu_dirs
    for name in gpu_dirs:
        assert max(wave(node_app) for node_app in node_apps) < wave(tree.application(name)), name


def _rbac(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == "ServiceAccount" or group_kind(doc)[0] == RBAC_GROUP]


def _uses_namespace(doc: dict[str, Any], namespace: str) -> bool:
    subjects = doc.get("subjects", [])
    return doc["metadata"].get("namespace") == namespace or any(s.get("namespace") == namespace for s in subjects)


def _runs_as_an_account(tree: Tree) -> bool:
    return any(
        doc["kind"] == "Job" and doc["spec"]["template"]["spec"].get("serviceAccountName") for doc in tree.rendered()
    )


ACCOUNT_TREES = {name: tree for name, tree in SEED.items() if _runs_as_an_account(tree)}


@pytest.mark.parametrize("tree", list(ACCOUNT_TREES.values()), ids=list(ACCOUNT_TREES))
def test_inside_an_application_namespace_precedes_rbac_and_rbac_precedes_the_job_using_it(tree: Tree) -> None:
    checked = 0
    for docs in tree.component_dirs.values():
        jobs = [
            doc for doc in docs if doc["kind"] == "Job" and doc["spec"]["template"]["spec"].get("serviceAccountName")
        ]
        for job in jobs:
            namespace = job["metadata"]["namespace"]
            account = job["spec"]["template"]["spec"]["serviceAccountName"]
            (ns,) = [doc for doc in docs if doc["kind"] == "Namespace"]
            rbac = _rbac(docs)
            assert any(doc["kind"] == "ServiceAccount" and doc["metadata"]["name"] == account for doc in rbac)
            for doc in rbac:
                # Everything that lives in or points into the namespace comes after it; a ClusterRole
                # needs no namespace and may share its wave (Argo CD applies Namespaces first in a wave).
                if _uses_namespace(doc, namespace):
                    assert wave(ns) < wave(doc), doc["metadata"]["name"]
                else:
                    assert wave(ns) <= wave(doc), doc["metadata"]["name"]
                assert wave(doc) < wave(job), f"{doc['kind']} {doc['metadata']['name']}"
            checked += 1
    assert checked, "no Job runs as a ServiceAccount: nothing was checked"


@seed_clusters
def test_namespace_is_the_first_wave_of_its_application(tree: Tree) -> None:
    for docs in tree.component_dirs.values():
        namespaces = [doc for doc in docs if doc["kind"] == "Namespace"]
        for namespace in namespaces:
            assert all(wave(namespace) <= wave(doc) for doc in docs)
            assert all(wave(namespace) < wave(doc) for doc in docs if "namespace" in doc["metadata"])


# -- bootstrap ---------------------------------------------------------------------------------


@seed_clusters
def test_bootstrap_holds_a_root_application_pointing_at_the_apps_directory(tree: Tree) -> None:
    root = tree.root
    assert root["metadata"]["name"] == f"{tree.name}-root"
    assert root["spec"]["source"]["path"] == f"gitops/clusters/{tree.name}/apps"
    assert root["spec"]["destination"] == {"namespace": "argocd", "server": "https://kubernetes.default.svc"}


@seed_clusters
def test_bootstrap_project_may_only_manage_argocd_objects_in_the_argocd_namespace(tree: Tree) -> None:
    spec = tree.bootstrap_project["spec"]
    assert spec["clusterResourceWhitelist"] == []
    assert granted(spec["namespaceResourceWhitelist"]) == {
        ("argoproj.io", "Application"),
        ("argoproj.io", "AppProject"),
    }
    assert [entry["namespace"] for entry in spec["destinations"]] == ["argocd"]
    assert {group_kind(doc) for doc in tree.dirs["apps"]} <= granted(spec["namespaceResourceWhitelist"])
