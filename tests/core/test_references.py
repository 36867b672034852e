"""References: env from Secret and ConfigMap keys, envFrom, image pull secrets, priority classes,
extra node selection, and the synth check that every object a pod names resolves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import gpumanifests as gm
from gpumanifests._synth.render import render_cluster

if TYPE_CHECKING:
    from collections.abc import Callable

IMAGE = "busybox:1.36.1"
NVIDIA = gm.NodeProfile.nvidia_cuda()


@pytest.fixture
def lab(cluster: Callable[..., gm.Cluster]) -> gm.Cluster:
    return cluster("lab", gpu_profiles=(NVIDIA,))


@pytest.fixture
def cpu_lab(cluster: Callable[..., gm.Cluster]) -> gm.Cluster:
    return cluster("lab", gpu_profiles=())


def _objects(cluster: gm.Cluster) -> dict[tuple[str, str], dict[str, Any]]:
    render = render_cluster(cluster)
    return {(obj.key[1], obj.key[3]): obj.manifest for part in render.components for obj in part.objects}


def _problems(cluster: gm.Cluster) -> list[gm.Problem]:
    return [problem for problem in render_cluster(cluster).problems if problem.severity == "error"]


def test_env_refs_and_env_from_render_in_name_order_with_the_plain_env(cpu_lab: gm.Cluster) -> None:
    job = gm.CpuJob(
        gm.Component(cpu_lab, "jobs"),
        "tool",
        image=IMAGE,
        env={"LOG_LEVEL": "info"},
        env_refs={"HF_TOKEN": gm.KeyRef.secret("hf-token", "token")},
        env_from=[gm.EnvSource.config_map("settings", prefix="APP_")],
    )
    job.add_env_ref("DB_URL", gm.KeyRef.config_map("db", "url"))
    job.add_env_from(gm.EnvSource.secret("db-credentials"))
    [container] = job.pod_template_spec()["containers"]
    assert container["env"] == [
        {"name": "DB_URL", "valueFrom": {"configMapKeyRef": {"key": "url", "name": "db"}}},
        {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"key": "token", "name": "hf-token"}}},
        {"name": "LOG_LEVEL", "value": "info"},
    ]
    assert container["envFrom"] == [
        {"configMapRef": {"name": "settings"}, "prefix": "APP_"},
        {"secretRef": {"name": "db-credentials"}},
    ]


def test_a_variable_has_one_source(lab: gm.Cluster) -> None:
    jobs = gm.Component(lab, "jobs")
    with pytest.raises(gm.InvalidInputError, match="env and env_refs both set TOKEN; a variable has one value"):
        gm.CpuJob(jobs, "a", image=IMAGE, env={"TOKEN": "x"}, env_refs={"TOKEN": gm.KeyRef.secret("s", "k")})
    job = gm.CpuJob(jobs, "b", image=IMAGE, env={"TOKEN": "x"})
    with pytest.raises(gm.InvalidInputError, match=r"CpuJob 'b'.add_env_ref: TOKEN is already set another way"):
        job.add_env_ref("TOKEN", gm.KeyRef.secret("s", "k"))
    job.add_env_ref("OTHER", gm.KeyRef.secret("s", "k"))
    with pytest.raises(gm.InvalidInputError, match=r"add_env: OTHER is already set another way"):
        job.add_env("OTHER", "y")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: gm.KeyRef.secret("hf-token", "bad key"),
            "KeyRef: key='bad key': 'bad key' is not a Secret or ConfigMap key",
        ),
        (
            lambda: gm.KeyRef(kind=gm.ReferenceKind.PRIORITY_CLASS, name="x", key="k"),
            "a KeyRef reads a Secret or a ConfigMap",
        ),
        (lambda: gm.EnvSource.secret("Bad_Name"), "EnvSource: name='Bad_Name'"),
        (lambda: gm.EnvSource.config_map("ok", prefix="1X"), "prefix='1X': '1X' is not an environment variable name"),
    ],
)
def test_bad_references_are_refused_at_construction(build: Callable[[], object], message: str) -> None:
    with pytest.raises(gm.InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build()


def test_pull_secrets_priority_class_and_node_selector_reach_the_pod(lab: gm.Cluster) -> None:
    serving = gm.Component(lab, "serving")
    gm.PriorityClass(serving, "inference-critical", value=100000, description="model servers")
    gm.k8s.KubeSecret(
        serving,
        "pull",
        metadata={"name": "registry-pull"},
        type="kubernetes.io/dockerconfigjson",
        string_data={".dockerconfigjson": "{}"},
    )
    deployment = gm.GpuDeployment(
        serving,
        "llm",
        profile=NVIDIA,
        image=IMAGE,
        image_pull_secrets=["registry-pull"],
        priority_class_name="inference-critical",
        node_selector={"topology.kubernetes.io/zone": "eu-west-1a"},
    )
    spec = deployment.pod_template_spec()
    assert spec["imagePullSecrets"] == [{"name": "registry-pull"}]
    assert spec["priorityClassName"] == "inference-critical"
    assert spec["nodeSelector"] == {"topology.kubernetes.io/zone": "eu-west-1a"}
    objects = _objects(lab)
    assert objects[("PriorityClass", "inference-critical")] == {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": objects[("PriorityClass", "inference-critical")]["metadata"],
        "description": "model servers",
        "preemptionPolicy": "PreemptLowerPriority",
        "value": 100000,
    }
    assert "namespace" not in objects[("PriorityClass", "inference-critical")]["metadata"]
    waves = {
        name: int(obj["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for (_, name), obj in objects.items()
        if "annotations" in obj["metadata"]
    }
    assert waves["inference-critical"] < waves["llm"]
    assert waves["registry-pull"] < waves["llm"]
    assert _problems(lab) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"value": 2_000_000_000}, "value=2000000000: Input should be less than or equal to 1000000000"),
        ({"value": 1, "id": "system-high"}, "names starting with 'system-' are reserved"),
    ],
)
def test_priority_class_bounds(lab: gm.Cluster, options: dict[str, Any], message: str) -> None:
    name = options.pop("id", "high")
    with pytest.raises(gm.InvalidInputError, match=message):
        gm.PriorityClass(gm.Component(lab, "classes"), name, **options)


def test_a_priority_class_that_never_preempts() -> None:
    app = gm.GitOpsApp()
    lab = gm.Cluster(
        app,
        "lab",
        nodes=[gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only())],
        repo=gm.GitRepo(url="https://git.example.com/x.git"),
    )
    gm.PriorityClass(gm.Component(lab, "classes"), "batch-low", value=-10, preempts=False, global_default=True)
    manifest = _objects(lab)[("PriorityClass", "batch-low")]
    assert (manifest["preemptionPolicy"], manifest["globalDefault"], manifest["value"]) == ("Never", True, -10)


def test_a_dangling_secret_is_named_with_its_field(cpu_lab: gm.Cluster) -> None:
    deployment = gm.CpuDeployment(
        gm.Component(cpu_lab, "web"), "api", image=IMAGE, env_refs={"TOKEN": gm.KeyRef.secret("api-token", "t")}
    )
    [problem] = _problems(cpu_lab)
    assert problem.path == deployment.path == "lab/web/api"
    assert problem.message == (
        "Deployment 'api' refers to Secret 'api-token' "
        "(spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef), "
        "which is neither in the tree in namespace 'web' nor declared external, so its pods cannot start"
    )
    assert "component.declare_external(gm.ReferenceKind.SECRET, 'api-token'" in problem.fix


def test_a_declared_external_object_resolves_and_is_listed_in_the_cluster_readme(
    app: gm.GitOpsApp, lab: gm.Cluster
) -> None:
    jobs = gm.Component(lab, "jobs")
    declared = jobs.declare_external(
        gm.ReferenceKind.SECRET, "api-token", reason="synced from Vault by External Secrets"
    )
    assert str(declared) == "Secret api-token in namespace jobs: synced from Vault by External Secrets"
    gm.CpuJob(jobs, "tool", image=IMAGE, env_refs={"TOKEN": gm.KeyRef.secret("api-token", "t")})
    readme = gm.synthesize(app).files["clusters/lab/README.md"].decode()
    assert "## Objects created outside this tree" in readme
    assert "- Secret api-token in namespace jobs: synced from Vault by External Secrets" in readme


def test_an_external_declaration_needs_a_reason_and_a_kind(lab: gm.Cluster) -> None:
    jobs = gm.Component(lab, "jobs")
    with pytest.raises(gm.InvalidInputError, match="reason"):
        jobs.declare_external(gm.ReferenceKind.SECRET, "token", reason="")
    with pytest.raises(gm.InvalidInputError, match="kind='Service'"):
        jobs.declare_external("Service", "web", reason="made by hand")  # type: ignore[arg-type]
    spelled = jobs.declare_external("ConfigMap", "settings", reason="made by hand")  # type: ignore[arg-type]
    assert spelled.key == ("", "ConfigMap", "jobs", "settings")
    assert jobs.declare_external(gm.ReferenceKind.PRIORITY_CLASS, "high", reason="made by hand").namespace == ""


def test_a_config_map_of_another_namespace_does_not_resolve(lab: gm.Cluster) -> None:
    gm.k8s.KubeConfigMap(gm.Component(lab, "shared"), "settings", metadata={"name": "settings"}, data={"a": "1"})
    gm.CpuJob(gm.Component(lab, "jobs"), "tool", image=IMAGE, env_from=[gm.EnvSource.config_map("settings")])
    [problem] = _problems(lab)
    assert (
        "refers to ConfigMap 'settings' (spec.template.spec.containers[0].envFrom[0].configMapRef)" in problem.message
    )
    assert "one is in namespace 'shared', but a pod can use only its own namespace's" in problem.message


def test_escape_hatch_references_are_checked_too(lab: gm.Cluster) -> None:
    """A raw L1 pod template and a JSON patch name a claim and a class that do not exist."""
    raw = gm.Component(lab, "raw")
    gm.k8s.KubeDeployment(
        raw,
        "web",
        metadata={"name": "web"},
        spec=gm.k8s.DeploymentSpec(
            selector=gm.k8s.LabelSelector(match_labels={"app": "web"}),
            template=gm.k8s.PodTemplateSpec(
                metadata=gm.k8s.ObjectMeta(labels={"app": "web"}),
                spec=gm.k8s.PodSpec(
                    containers=[gm.k8s.Container(name="web", image=IMAGE)],
                    volumes=[
                        gm.k8s.Volume(
                            name="data",
                            persistent_volume_claim=gm.k8s.PersistentVolumeClaimVolumeSource(claim_name="web-data"),
                        ),
                        gm.k8s.Volume(name="opt", secret=gm.k8s.SecretVolumeSource(secret_name="maybe", optional=True)),
                    ],
                ),
            ),
        ),
    )
    job = gm.CpuJob(gm.Component(lab, "jobs"), "tool", image=IMAGE)
    job.add_json_patch(gm.JsonPatch.add("/spec/template/spec/priorityClassName", "batch-high"))
    dangling = [p.message for p in _problems(lab) if "refers to" in p.message]
    assert len(dangling) == 2, dangling  # the optional Secret may be missing, as Kubernetes allows
    assert any("PersistentVolumeClaim 'web-data' (spec.template.spec.volumes[0])" in m for m in dangling)
    assert any(
        "PriorityClass 'batch-high' (spec.template.spec.priorityClassName), which is neither in the tree nor" in m
        for m in dangling
    )


def test_objects_every_cluster_has_need_no_declaration(lab: gm.Cluster) -> None:
    gm.CpuJob(
        gm.Component(lab, "jobs"),
        "tool",
        image=IMAGE,
        priority_class_name="system-cluster-critical",
        service_account_name="default",
        api_access=True,
    )
    assert _problems(lab) == []


def test_extra_node_selection_is_proven_by_the_plan(lab: gm.Cluster) -> None:
    gm.CpuJob(gm.Component(lab, "jobs"), "tool", image=IMAGE, node_selector={"pool": "batch"})
    with pytest.raises(gm.SynthError, match="no node of the cluster satisfies its required node selection"):
        gm.synthesize(lab.app)
