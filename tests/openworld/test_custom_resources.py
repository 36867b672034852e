"""Custom resources as first-class objects: strict CRD validation, scopes, CRDs by file or from the tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import gpumanifests as gm

WIDGET_CRD = Path(__file__).resolve().parents[1] / "data" / "widget-crd.yaml"
REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
IMAGE = "busybox:1.36.1"


def _cluster(**options: Any) -> gm.Cluster:
    nodes = [gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only())]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO, **options)


def _synth_error(cluster: gm.Cluster) -> str:
    with pytest.raises(gm.SynthError) as raised:
        gm.synthesize(cluster.app)
    return str(raised.value)


def _objects(cluster: gm.Cluster) -> dict[str, dict[str, Any]]:
    files = gm.synthesize(cluster.app).files
    return {path: YAML(typ="safe").load(content) for path, content in files.items() if path.endswith(".yaml")}


def _flavor(cluster: gm.Cluster, spec: dict[str, Any]) -> gm.CustomResource:
    queues = gm.Component(cluster, "queues")
    return gm.CustomResource(queues, "a100", api_version="kueue.x-k8s.io/v1beta2", kind="ResourceFlavor", spec=spec)


# -- catalog kinds: what a misspelling, a wrong type, an enum violation and a CEL rule give ----------


def test_fails_on_a_misspelled_field_naming_object_path_and_the_nearest_field() -> None:
    cluster = _cluster()
    _flavor(cluster, {"nodeLables": {"gpu": "a100"}})
    message = _synth_error(cluster)
    assert "[lab/queues/a100] error: ResourceFlavor 'a100' is invalid at spec: unknown field 'nodeLables'" in message
    assert "did you mean 'nodeLabels'?" in message
    assert "(the schema declares: nodeLabels, nodeTaints, tolerations, topologyName)" in message


def test_fails_on_a_wrong_type() -> None:
    cluster = _cluster()
    _flavor(cluster, {"nodeLabels": ["gpu=a100"]})
    assert "ResourceFlavor 'a100' is invalid at spec.nodeLabels: " in _synth_error(cluster)
    assert 'is not of type "object"' in _synth_error(cluster)


def test_fails_on_a_value_outside_an_enum_naming_what_is_allowed() -> None:
    cluster = _cluster()
    queues = gm.Component(cluster, "queues")
    spec = {"namespaceSelector": {}, "queueingStrategy": "Fastest", "resourceGroups": []}
    gm.CustomResource(queues, "gpus", api_version="kueue.x-k8s.io/v1beta2", kind="ClusterQueue", spec=spec)
    message = _synth_error(cluster)
    assert "ClusterQueue 'gpus' is invalid at spec.queueingStrategy: " in message
    assert '"Fastest" is not one of "StrictFIFO" or "BestEffortFIFO"' in message


def test_fails_on_a_broken_cel_rule_with_its_message_and_rule() -> None:
    cluster = _cluster()
    _flavor(cluster, {"tolerations": [{"operator": "Equal", "effect": "NoSchedule"}]})
    message = _synth_error(cluster)
    assert "spec.tolerations: operator must be Exists when 'key' is empty" in message
    assert "(rule: self.all(x, !has(x.key) ? x.operator == 'Exists' : true))" in message


def test_nothing_is_written_when_a_custom_resource_is_invalid(tmp_path: Path) -> None:
    cluster = _cluster()
    _flavor(cluster, {"nodeLables": {}})
    out = tmp_path / "gitops"
    with pytest.raises(gm.SynthError):
        gm.synthesize(cluster.app).write(out)
    assert not out.exists()


def test_a_valid_catalog_resource_is_cluster_scoped_skips_dry_run_and_names_its_operator() -> None:
    cluster = _cluster()
    _flavor(cluster, {"nodeLabels": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}})
    objects = _objects(cluster)
    flavor = objects["clusters/lab/queues/resourceflavor.kueue.x-k8s.io_a100.yaml"]
    assert "namespace" not in flavor["metadata"]  # ResourceFlavor is cluster-scoped (the CRD's spec.scope)
    assert flavor["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "SkipDryRunOnMissingResource=true"
    project = objects["clusters/lab/apps/argocd_appproject.argoproj.io_lab.yaml"]
    assert {"group": "kueue.x-k8s.io", "kind": "ResourceFlavor"} in project["spec"]["clusterResourceWhitelist"]
    readme = gm.synthesize(cluster.app).files["clusters/lab/README.md"].decode()
    assert "## Operators this cluster needs" in readme
    assert "- Kueue: ResourceFlavor (kueue.x-k8s.io; CRD schema from kubernetes-sigs/kueue v0.19.2" in readme


def test_fails_on_a_version_the_crd_does_not_serve() -> None:
    cluster = _cluster()
    queues = gm.Component(cluster, "queues")
    gm.CustomResource(queues, "a100", api_version="kueue.x-k8s.io/v1", kind="ResourceFlavor", spec={})
    message = _synth_error(cluster)
    assert "the ResourceFlavor CRD (kubernetes-sigs/kueue v0.19.2" in message
    assert (
        "does not serve kueue.x-k8s.io/v1; fix: use one of its served versions: v1beta1 (deprecated), v1beta2"
        in message
    )


def test_fails_on_an_unknown_kind_saying_how_to_supply_its_crd() -> None:
    cluster = _cluster()
    gm.CustomResource(gm.Component(cluster, "services"), "w", api_version="example.com/v1", kind="Widget", spec={})
    message = _synth_error(cluster)
    assert "example.com/v1 Widget is not a built-in kind of Kubernetes 1.37, and no CRD of it is known" in message
    assert "pass its CustomResourceDefinition as a file (Cluster(crds=[Path('...yaml')]))" in message


# -- a CRD the project does not vendor, by file ---------------------------------------------------------


def _widget(cluster: gm.Cluster, spec: dict[str, Any], version: str = "v1") -> None:
    gm.CustomResource(
        gm.Component(cluster, "services"), "w", api_version=f"example.com/{version}", kind="Widget", spec=spec
    )


def test_a_user_crd_by_file_validates_and_synthesizes_end_to_end() -> None:
    cluster = _cluster(crds=[WIDGET_CRD])
    spec = {"size": "small", "port": "http", "minReplicas": 1, "maxReplicas": 3, "extra": {"any": {"thing": [1]}}}
    _widget(cluster, spec)
    widget = _objects(cluster)["clusters/lab/services/services_widget.example.com_w.yaml"]
    assert widget["metadata"]["namespace"] == "services"
    assert widget["spec"] == spec
    assert widget["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "SkipDryRunOnMissingResource=true"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"size": "huge"}, 'spec.size: "huge" is not one of "small" or "large"'),
        ({}, 'spec: "size" is a required property'),
        ({"size": "small", "port": 1.5}, "spec.port: 1.5 is not valid under any of the schemas"),
        ({"size": "small", "minReplicas": -1}, "spec.minReplicas: -1 is less than the minimum of 0"),
        ({"size": "small", "maxReplicas": 2**31}, "spec.maxReplicas: 2147483648 is greater than the maximum"),
        ({"size": "small", "tags": ["a", "a"]}, "spec.tags[1]: duplicate value 'a' in a set"),
        ({"size": "small", "settings": {"k": "123456789"}}, 'spec.settings.k: "123456789" is longer than 8'),
        ({"size": "small", "minReplicas": 3, "maxReplicas": 1}, "spec: minReplicas must not exceed maxReplicas"),
        ({"size": "small", "colour": "red"}, "spec: unknown field 'colour'"),
    ],
)
def test_a_user_crd_by_file_refuses_what_its_schema_refuses(spec: dict[str, Any], expected: str) -> None:
    cluster = _cluster(crds=[WIDGET_CRD])
    _widget(cluster, spec)
    assert expected in _synth_error(cluster)


def test_transition_rules_are_not_evaluated_on_create() -> None:
    """``self.size == oldSelf.size`` is for updates; on create the API server does not evaluate it."""
    cluster = _cluster(crds=[WIDGET_CRD])
    _widget(cluster, {"size": "large"})
    assert _objects(cluster)


def test_a_version_that_is_not_served_is_refused() -> None:
    cluster = _cluster(crds=[WIDGET_CRD])
    _widget(cluster, {"size": "small"}, version="v0")
    assert "does not serve example.com/v0; fix: use one of its served versions: v1" in _synth_error(cluster)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n", "is a 'ConfigMap', not a CustomResourceDefinition"),
        ("key: [unclosed\n", "is not YAML"),
        ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: {}\n", "missing or malformed"),
    ],
)
def test_fails_on_a_bad_crd_file_at_construction(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "crd.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(gm.InvalidInputError, match=f"Cluster 'lab': crds: .*{expected}"):
        _cluster(crds=[path])


def test_fails_on_a_missing_crd_file_at_construction(tmp_path: Path) -> None:
    with pytest.raises(gm.InvalidInputError, match="Cluster 'lab': crds: cannot read CRD file"):
        _cluster(crds=[tmp_path / "absent.yaml"])


# -- a CRD the tree installs --------------------------------------------------------------------------


def test_a_crd_the_tree_installs_syncs_before_its_resources_and_needs_no_skip_dry_run() -> None:
    cluster = _cluster()
    operators = gm.Component(cluster, "operators")
    gm.ManifestFile(operators, "widget-crd", path=WIDGET_CRD)
    services = gm.Component(cluster, "services")
    gm.CustomResource(services, "w", api_version="example.com/v1", kind="Widget", spec={"size": "small"})
    objects = _objects(cluster)
    widget = objects["clusters/lab/services/services_widget.example.com_w.yaml"]
    assert "argocd.argoproj.io/sync-options" not in widget["metadata"].get("annotations", {})
    waves = {
        path.split("/")[-1]: int(doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for path, doc in objects.items()
        if path.startswith("clusters/lab/apps/argocd_application")
    }
    assert (
        waves["argocd_application.argoproj.io_services.yaml"] > waves["argocd_application.argoproj.io_operators.yaml"]
    )
    readme = gm.synthesize(cluster.app).files["clusters/lab/README.md"].decode()
    assert "Operators this cluster needs" not in readme


def test_a_crd_and_its_resource_in_one_component_get_ordered_waves(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.yaml"
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: large}\n"
    bundle.write_text(widget + "---\n" + WIDGET_CRD.read_text(encoding="utf-8"), encoding="utf-8")
    cluster = _cluster()
    gm.ManifestFile(gm.Component(cluster, "services"), "bundle", path=bundle)
    objects = _objects(cluster)
    crd = objects["clusters/lab/services/customresourcedefinition_widgets.example.com.yaml"]
    resource = objects["clusters/lab/services/services_widget.example.com_w.yaml"]
    wave = "argocd.argoproj.io/sync-wave"
    assert int(resource["metadata"]["annotations"][wave]) > int(crd["metadata"]["annotations"][wave])


def test_fails_on_a_manifest_file_that_is_not_kubernetes_objects(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("just: data\n", encoding="utf-8")
    cluster = _cluster()
    with pytest.raises(gm.InvalidInputError, match=r"ManifestFile 'x': path=.*document 1 is not a Kubernetes object"):
        gm.ManifestFile(gm.Component(cluster, "services"), "x", path=path)


# -- built-in kinds: scope from data, not a hand-kept table --------------------------------------------


@pytest.mark.parametrize(
    ("api_version", "kind", "spec", "namespaced"),
    [
        ("storage.k8s.io/v1", "VolumeAttributesClass", {"driverName": "csi.example.com"}, False),
        ("resource.k8s.io/v1", "DeviceClass", {"spec": {}}, False),
        ("networking.k8s.io/v1", "IPAddress", None, False),
        ("v1", "ConfigMap", {"data": {"a": "b"}}, True),
    ],
)
def test_built_in_scopes_come_from_the_minors_api(
    api_version: str, kind: str, spec: dict[str, Any] | None, namespaced: bool
) -> None:
    """Kinds the old hand-kept table missed (VolumeAttributesClass, IPAddress) get their real scope."""
    from gpumanifests._kube.schemas import KindRegistry

    registry = KindRegistry("1.37")
    assert registry.namespaced(api_version, kind) is namespaced
    assert registry.is_builtin(api_version, kind)
    del spec


def test_custom_resource_props_are_checked_at_construction() -> None:
    cluster = _cluster()
    services = gm.Component(cluster, "services")
    with pytest.raises(gm.InvalidInputError, match="api_version='kueue': 'kueue' is not a custom resource apiVersion"):
        gm.CustomResource(services, "a", api_version="kueue", kind="ResourceFlavor")
    with pytest.raises(gm.InvalidInputError, match="kind='resourceFlavor'"):
        gm.CustomResource(services, "b", api_version="kueue.x-k8s.io/v1beta2", kind="resourceFlavor")
    with pytest.raises(gm.InvalidInputError, match="fields: metadata, spec cannot be set through fields"):
        gm.CustomResource(
            services, "c", api_version="kueue.x-k8s.io/v1beta2", kind="Cohort", fields={"spec": {}, "metadata": {}}
        )


# -- migration and diff understand custom resources ---------------------------------------------------


def _queued_cluster(name: str, product: str) -> gm.Cluster:
    nodes = [
        gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only()),
        gm.Node(name="gpu-1", profile=gm.NodeProfile.nvidia_cuda(), gpus=1),
    ]
    cluster = gm.Cluster(gm.GitOpsApp(), name, nodes=nodes, repo=REPO)
    spec = {"nodeLabels": {"nvidia.com/gpu.product": product}}
    gm.CustomResource(
        gm.Component(cluster, "queues"), "gpu", api_version="kueue.x-k8s.io/v1beta2", kind="ResourceFlavor", spec=spec
    )
    return cluster


def test_migrate_diffs_custom_resources_field_by_field() -> None:
    report = gm.migration_report(_queued_cluster("a", "NVIDIA-A100-SXM4-80GB"), _queued_cluster("b", "NVIDIA-L4"))
    [flavor] = report.custom_resources
    assert (flavor.kind, flavor.name) == ("ResourceFlavor", "gpu")
    assert flavor.changes == ("spec.nodeLabels.nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB -> NVIDIA-L4",)
    assert "## Custom resources\n\n### ResourceFlavor gpu\n- spec.nodeLabels" in report.format()


def test_diff_reports_a_changed_custom_resource_field(tmp_path: Path) -> None:
    out = tmp_path / "gitops"
    gm.synthesize(_queued_cluster("a", "NVIDIA-A100-SXM4-80GB").app).write(out)
    changes = gm.synthesize(_queued_cluster("a", "NVIDIA-L4").app).changes(out)
    assert changes[("a", "queues")].changed == {
        "ResourceFlavor gpu": ["spec.nodeLabels.nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB -> NVIDIA-L4"]
    }
