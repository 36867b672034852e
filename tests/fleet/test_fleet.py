"""Fleets: many clusters under one management Argo CD, through one ApplicationSet.

Every expectation is computed from the same synth: names, destinations and generator
directories are read back from the objects and checked against the cluster model.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

import gpumanifests as gm
from gpumanifests._argocd.schema import validate_argocd_object
from gpumanifests._synth.loader import load_apps

ROOT = Path(__file__).resolve().parents[2]
REPO = gm.GitRepo(url="https://git.example.com/platform/fleet.git")
CPU = gm.NodeProfile.cpu_only()


def _documents(files: dict[str, bytes], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, yaml.safe_load(content))
        for path, content in files.items()
        if path.startswith(prefix) and path.endswith(".yaml")
    ]


def _argocd_objects(files: dict[str, bytes]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, doc) for path, doc in _documents(files) if doc["apiVersion"] == "argoproj.io/v1alpha1"]


def _member(app: gm.GitOpsApp, fleet: gm.Fleet, name: str, **where: str) -> gm.Cluster:
    cluster = gm.Cluster(app, name, nodes=[gm.Node(name=f"{name}-1", profile=CPU)], fleet=fleet, **where)
    gm.CpuJob(gm.Component(cluster, "jobs"), "hello", image="busybox:1.36.1")
    return cluster


@pytest.fixture
def fleet_app() -> tuple[gm.GitOpsApp, gm.Fleet]:
    app = gm.GitOpsApp()
    fleet = gm.Fleet(app, "research", repo=REPO)
    _member(app, fleet, "east", argocd_cluster="east")
    _member(app, fleet, "west", server="https://west.example.com:6443")
    _member(app, fleet, "lab")  # the management cluster itself
    return app, fleet


# -- the shipped fleet ---------------------------------------------------------------------------

SHIPPED = load_apps(ROOT / "apps")
SHIPPED_FILES = gm.synthesize(SHIPPED).files


def _instance_of(path: str) -> str:
    """The Argo CD an object of the shipped tree belongs to: its cluster's own, or the fleet's."""
    owner = path.split("/")[1]
    cluster = next((cluster for cluster in SHIPPED.clusters if cluster.name == owner), None)
    if cluster is None or cluster.fleet is not None:
        return "fleet"
    return owner


def test_the_shipped_fleet_deploys_at_least_three_clusters_through_one_applicationset() -> None:
    [fleet] = SHIPPED.fleets
    assert len(fleet.clusters) >= 3
    [appset] = [doc for _, doc in _argocd_objects(SHIPPED_FILES) if doc["kind"] == "ApplicationSet"]
    directories = [entry["path"] for entry in appset["spec"]["generators"][0]["git"]["directories"]]
    assert directories == [f"gitops/clusters/{cluster.name}/apps" for cluster in fleet.clusters]


def test_no_two_argocd_objects_of_one_argocd_instance_share_a_name() -> None:
    names = Counter(
        (_instance_of(path), doc["metadata"]["namespace"], doc["kind"], doc["metadata"]["name"])
        for path, doc in _argocd_objects(SHIPPED_FILES)
    )
    assert names
    assert not [key for key, count in names.items() if count > 1]


def test_no_two_argocd_objects_of_the_whole_shipped_tree_share_a_name() -> None:
    # stronger than needed (standalone clusters run their own Argo CD), and true of what we ship
    names = Counter(
        (doc["metadata"]["namespace"], doc["kind"], doc["metadata"]["name"])
        for _, doc in _argocd_objects(SHIPPED_FILES)
    )
    assert not [key for key, count in names.items() if count > 1]


def test_every_shipped_argocd_object_validates_against_the_argocd_crds() -> None:
    objects = _argocd_objects(SHIPPED_FILES)
    assert {doc["kind"] for _, doc in objects} == {"Application", "ApplicationSet", "AppProject"}
    assert {path: validate_argocd_object(doc) for path, doc in objects if validate_argocd_object(doc)} == {}


def test_the_seed_cluster_keeps_its_own_argocd_and_unqualified_names() -> None:
    local = SHIPPED.cluster("data-platform-local")
    assert local.fleet is None
    names = {
        doc["metadata"]["name"]
        for path, doc in _argocd_objects(SHIPPED_FILES)
        if path.startswith("clusters/data-platform-local/")
    }
    assert {"metal-gpu-nodes", "metal-gpu-workloads", "data-platform-local-root"} <= names


# -- names, destinations, bootstrap --------------------------------------------------------------


def test_member_applications_are_cluster_qualified_and_deploy_to_their_member(
    fleet_app: tuple[gm.GitOpsApp, gm.Fleet],
) -> None:
    app, _ = fleet_app
    files = gm.synthesize(app).files
    destinations = {
        doc["metadata"]["name"]: doc["spec"]["destination"]
        for _, doc in _argocd_objects(files)
        if doc["kind"] == "Application"
    }
    assert destinations == {
        "east-jobs": {"name": "east", "namespace": "jobs"},
        "west-jobs": {"server": "https://west.example.com:6443", "namespace": "jobs"},
        "lab-jobs": {"server": "https://kubernetes.default.svc", "namespace": "jobs"},
    }


def test_member_projects_allow_only_their_own_cluster(fleet_app: tuple[gm.GitOpsApp, gm.Fleet]) -> None:
    app, _ = fleet_app
    files = gm.synthesize(app).files
    projects = {
        doc["metadata"]["name"]: doc["spec"]["destinations"]
        for _, doc in _argocd_objects(files)
        if doc["kind"] == "AppProject"
    }
    assert projects["east"] == [{"name": "east", "namespace": "jobs"}]
    assert projects["west"] == [{"server": "https://west.example.com:6443", "namespace": "jobs"}]


def test_members_have_no_bootstrap_of_their_own_and_the_fleet_has_one(fleet_app: tuple[gm.GitOpsApp, gm.Fleet]) -> None:
    app, _ = fleet_app
    files = gm.synthesize(app).files
    assert not [path for path in files if "/bootstrap/" in path and path.startswith("clusters/")]
    assert sorted(path for path in files if path.startswith("fleets/")) == [
        "fleets/research/README.md",
        "fleets/research/bootstrap/argocd_applicationset.argoproj.io_research-clusters.yaml",
        "fleets/research/bootstrap/argocd_appproject.argoproj.io_research-bootstrap.yaml",
    ]


def test_the_applicationset_names_each_root_after_its_cluster(fleet_app: tuple[gm.GitOpsApp, gm.Fleet]) -> None:
    app, fleet = fleet_app
    [(_, appset)] = [(p, d) for p, d in _argocd_objects(gm.synthesize(app).files) if d["kind"] == "ApplicationSet"]
    spec = appset["spec"]
    assert spec["goTemplate"] is True
    assert spec["goTemplateOptions"] == ["missingkey=error"]
    assert spec["syncPolicy"] == {"preserveResourcesOnDeletion": True}
    assert spec["template"]["spec"]["project"] == "research-bootstrap"  # fixed, never templated
    assert "finalizers" not in spec["template"]["metadata"]  # the controller's call under preserveResourcesOnDeletion
    [segment] = re.fullmatch(
        r"\{\{ index \.path\.segments (\d+) \}\}-root", spec["template"]["metadata"]["name"]
    ).groups()  # type: ignore[union-attr]
    roots = [entry["path"].split("/")[int(segment)] + "-root" for entry in spec["generators"][0]["git"]["directories"]]
    assert roots == [f"{cluster.name}-root" for cluster in fleet.clusters]
    assert spec["template"]["spec"]["source"]["path"] == "{{ .path.path }}"


def test_the_fleet_readme_lists_every_member_and_the_bootstrap(fleet_app: tuple[gm.GitOpsApp, gm.Fleet]) -> None:
    app, _ = fleet_app
    readme = gm.synthesize(app).files["fleets/research/README.md"].decode()
    assert "| `east` | Argo CD cluster 'east' | `east-root` |" in readme
    assert "| `west` | server https://west.example.com:6443 | `west-root` |" in readme
    assert "kubectl apply -f bootstrap/" in readme


def test_the_fleet_bootstrap_project_permits_only_argocd_objects(fleet_app: tuple[gm.GitOpsApp, gm.Fleet]) -> None:
    app, _ = fleet_app
    [project] = [
        d for p, d in _argocd_objects(gm.synthesize(app).files) if p.startswith("fleets/") and d["kind"] == "AppProject"
    ]
    assert project["spec"]["clusterResourceWhitelist"] == []
    assert project["spec"]["namespaceResourceWhitelist"] == [
        {"group": "argoproj.io", "kind": "AppProject"},
        {"group": "argoproj.io", "kind": "Application"},
    ]
    assert project["spec"]["sourceRepos"] == [REPO.url]


# -- mistakes, refused with the construct and what to do -----------------------------------------


def test_a_member_with_another_repository_is_refused() -> None:
    app = gm.GitOpsApp()
    fleet = gm.Fleet(app, "research", repo=REPO)
    other = gm.GitRepo(url="https://git.example.com/other.git")
    with pytest.raises(gm.InvalidInputError, match=r"Cluster 'east': repo: .*differs from fleet 'research'"):
        gm.Cluster(app, "east", nodes=[gm.Node(name="n", profile=CPU)], fleet=fleet, repo=other)


def test_a_cluster_needs_a_repository_or_a_fleet() -> None:
    with pytest.raises(gm.InvalidInputError, match=r"Cluster 'east': repo: give the git repository"):
        gm.Cluster(gm.GitOpsApp(), "east", nodes=[gm.Node(name="n", profile=CPU)])


def test_server_and_argocd_cluster_are_exclusive() -> None:
    with pytest.raises(gm.InvalidInputError, match=r"both name the cluster Argo CD deploys to"):
        gm.Cluster(
            gm.GitOpsApp(),
            "east",
            nodes=[gm.Node(name="n", profile=CPU)],
            repo=REPO,
            server="https://e.example.com",
            argocd_cluster="east",
        )


def test_a_member_argocd_namespace_other_than_the_fleets_is_refused() -> None:
    app = gm.GitOpsApp()
    fleet = gm.Fleet(app, "research", repo=REPO, argocd_namespace="gitops")
    with pytest.raises(gm.InvalidInputError, match=r"argocd_namespace: 'platform'.*fleet 'research''s 'gitops'"):
        gm.Cluster(app, "east", nodes=[gm.Node(name="n", profile=CPU)], fleet=fleet, argocd_namespace="platform")


def test_a_qualified_application_name_beyond_63_characters_is_refused_at_the_component() -> None:
    app = gm.GitOpsApp()
    cluster = gm.Cluster(app, "c" * 40, nodes=[gm.Node(name="n", profile=CPU)], fleet=gm.Fleet(app, "f", repo=REPO))
    with pytest.raises(
        gm.InvalidInputError,
        match=r"Component 'j{30}': its Application in fleet 'f' is named 'c{40}-j{30}' \(71 characters\)",
    ):
        gm.Component(cluster, "j" * 30)


def test_two_members_deploying_to_the_same_cluster_fail_the_synth() -> None:
    app = gm.GitOpsApp()
    fleet = gm.Fleet(app, "research", repo=REPO)
    _member(app, fleet, "east", argocd_cluster="shared")
    _member(app, fleet, "west", argocd_cluster="shared")
    with pytest.raises(
        gm.SynthError,
        match=r"\[west\] error: deploys to Argo CD cluster 'shared', as fleet 'research''s cluster 'east' does",
    ):
        gm.synthesize(app)


def test_colliding_qualified_names_fail_the_synth_naming_both_objects() -> None:
    app = gm.GitOpsApp()
    fleet = gm.Fleet(app, "research", repo=REPO)
    first = gm.Cluster(app, "a", nodes=[gm.Node(name="n", profile=CPU)], fleet=fleet, argocd_cluster="a")
    second = gm.Cluster(app, "a-b", nodes=[gm.Node(name="n", profile=CPU)], fleet=fleet, argocd_cluster="a-b")
    gm.CpuJob(gm.Component(first, "b-c"), "one", image="busybox:1.36.1")
    gm.CpuJob(gm.Component(second, "c"), "two", image="busybox:1.36.1")
    with pytest.raises(
        gm.SynthError,
        match=r"Application 'a-b-c' in namespace 'argocd' of fleet 'research' is also made by "
        r"a/argocd/Application/a-b-c",
    ):
        gm.synthesize(app)


def test_a_fleet_without_members_fails_the_synth() -> None:
    app = gm.GitOpsApp()
    gm.Fleet(app, "empty", repo=REPO)
    cluster = gm.Cluster(app, "solo", nodes=[gm.Node(name="n", profile=CPU)], repo=REPO)
    gm.CpuJob(gm.Component(cluster, "jobs"), "hello", image="busybox:1.36.1")
    with pytest.raises(gm.SynthError, match=r"\[fleet/empty\] error: the fleet has no member cluster"):
        gm.synthesize(app)
