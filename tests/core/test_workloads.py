"""What each workload construct renders, on every catalog GPU profile, and what it refuses.

GPU workloads require exactly their profile's node labels and tolerate exactly its taints;
CPU workloads prefer nodes without the cluster's accelerator labels and tolerate nothing.
Assertions are on the rendered dicts, so they read as the YAML Argo CD applies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import gpumanifests as gm
from gpumanifests._synth.render import render_cluster

if TYPE_CHECKING:
    from collections.abc import Callable

GPU_PROFILES = [profile for profile in gm.NodeProfile.catalog() if profile.is_gpu]
GPU_CONSTRUCTS = [gm.GpuJob, gm.GpuDeployment]
CPU_CONSTRUCTS = [gm.CpuJob, gm.CpuDeployment]
IMAGE = "busybox:1.36.1"


def _name(value: object) -> str:
    return getattr(value, "name", None) or getattr(value, "__name__", str(value))


def manifest_of(workload: gm.Workload) -> dict[str, Any]:
    """The workload's main object as its cluster renders it (labels stamped, waves assigned)."""
    render = render_cluster(workload.component.cluster)
    return next(obj.manifest for part in render.components for obj in part.objects if obj.path == workload.path)


def pod_of(workload: gm.Workload) -> dict[str, Any]:
    return manifest_of(workload)["spec"]["template"]["spec"]


def container_of(workload: gm.Workload) -> dict[str, Any]:
    containers = pod_of(workload)["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(workload: gm.Workload) -> dict[str, str]:
    return {entry["name"]: entry["value"] for entry in container_of(workload).get("env", [])}


gpu_cases = pytest.mark.parametrize(
    ("construct", "profile"),
    [(construct, profile) for construct in GPU_CONSTRUCTS for profile in GPU_PROFILES],
    ids=[f"{construct.__name__}-{profile.name}" for construct in GPU_CONSTRUCTS for profile in GPU_PROFILES],
)
cpu_cases = pytest.mark.parametrize("construct", CPU_CONSTRUCTS, ids=_name)


# -- GPU workloads: placement ------------------------------------------------------------------


@gpu_cases
def test_gpu_workload_requires_exactly_the_profile_labels_in_one_term(
    component: gm.Component, construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    workload = construct(component, "train", profile=profile)  # type: ignore[call-arg]
    assert pod_of(workload)["affinity"] == {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": key, "operator": "In", "values": [value]}
                            for key, value in sorted(profile.node_labels.items())
                        ]
                    }
                ]
            }
        }
    }


@gpu_cases
def test_gpu_workload_tolerates_exactly_one_toleration_per_profile_taint(
    component: gm.Component, construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    tolerations = pod_of(construct(component, "train", profile=profile))["tolerations"]  # type: ignore[call-arg]
    assert len(tolerations) == len(profile.taints)
    for toleration, taint in zip(tolerations, profile.taints, strict=True):
        assert toleration["key"] == taint.key
        assert toleration["effect"] == str(taint.effect)
        if toleration["operator"] == "Equal":
            assert toleration["value"] == taint.value
        else:
            assert toleration == {"key": taint.key, "operator": "Exists", "effect": str(taint.effect)}


def test_metal_workload_has_the_seed_affinity_toleration_and_env(component: gm.Component) -> None:
    job = gm.GpuJob(component, "metal-ml-training", profile=gm.NodeProfile.apple_metal())
    pod = pod_of(job)
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert {"key": "apple.com/gpu", "operator": "In", "values": ["true"]} in terms[0]["matchExpressions"]
    assert pod["tolerations"] == [
        {"key": "apple.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    assert container_of(job)["image"] == "tensorflow/tensorflow:latest"
    assert env_of(job) == {"TF_METAL_DEVICE_PLACEMENT": "true", "PYTORCH_ENABLE_MPS_FALLBACK": "1"}
    assert "nodeSelector" not in pod


@gpu_cases
def test_gpu_workload_gets_the_vendor_env(
    component: gm.Component, construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    workload = construct(component, "train", profile=profile)  # type: ignore[call-arg]
    assert env_of(workload) == profile.env


@gpu_cases
def test_user_env_is_added_to_the_vendor_env(
    component: gm.Component, construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    workload = construct(component, "train", profile=profile, env={"EPOCHS": "3"})  # type: ignore[call-arg]
    assert env_of(workload) == {**profile.env, "EPOCHS": "3"}


@gpu_cases
def test_gpu_workload_uses_the_profile_image_of_its_framework(
    component: gm.Component, construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    workload = construct(component, "train", profile=profile, framework=gm.Framework.PYTORCH)  # type: ignore[call-arg]
    assert container_of(workload)["image"] == profile.images[gm.Framework.PYTORCH]


# -- GPU workloads: resources ---------------------------------------------------------------


@gpu_cases
def test_gpus_are_an_extended_resource_limit_only_by_default(
    component: gm.Component, construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    resources = container_of(construct(component, "train", profile=profile, gpus=2))["resources"]  # type: ignore[call-arg]
    if profile.gpu_resource is None:
        assert set(resources["limits"]) == {"cpu", "memory"}
    else:
        assert resources["limits"][profile.gpu_resource] == "2"
    assert set(resources["requests"]) == {"cpu", "memory"}


@gpu_cases
def test_gpu_request_true_writes_a_request_equal_to_the_limit(
    component: gm.Component, construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    workload = construct(component, "train", profile=profile, gpus=3, gpu_request=True)  # type: ignore[call-arg]
    resources = container_of(workload)["resources"]
    if profile.gpu_resource is None:
        assert set(resources["requests"]) == {"cpu", "memory"}
    else:
        assert resources["requests"][profile.gpu_resource] == resources["limits"][profile.gpu_resource] == "3"


@gpu_cases
def test_gpu_workload_default_cpu_and_memory_requests_and_limits(
    component: gm.Component, construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    resources = container_of(construct(component, "train", profile=profile))["resources"]  # type: ignore[call-arg]
    assert {key: resources["requests"][key] for key in ("cpu", "memory")} == {"cpu": "1", "memory": "2Gi"}
    assert {key: resources["limits"][key] for key in ("cpu", "memory")} == {"cpu": "2", "memory": "4Gi"}


@gpu_cases
def test_gpu_workload_mounts_a_memory_backed_dev_shm(
    component: gm.Component, construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    workload = construct(component, "train", profile=profile, shared_memory="2Gi")  # type: ignore[call-arg]
    assert {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}} in pod_of(workload)["volumes"]
    assert {"name": "dshm", "mountPath": "/dev/shm"} in container_of(workload)["volumeMounts"]


def test_shared_memory_none_mounts_no_dev_shm(component: gm.Component) -> None:
    job = gm.GpuJob(component, "train", profile=gm.NodeProfile.apple_metal(), shared_memory=None)
    assert all(mount["mountPath"] != "/dev/shm" for mount in container_of(job)["volumeMounts"])


def test_nvidia_runtime_class_option_reaches_the_pod(component: gm.Component) -> None:
    profile = gm.NodeProfile.nvidia_cuda(runtime_class_name="nvidia")
    assert pod_of(gm.GpuJob(component, "train", profile=profile))["runtimeClassName"] == "nvidia"
    assert "runtimeClassName" not in pod_of(gm.GpuJob(component, "plain", profile=gm.NodeProfile.nvidia_cuda()))


def test_mig_profile_limits_the_mig_resource(component: gm.Component) -> None:
    profile = gm.NodeProfile.nvidia_cuda(name="a100", mig_slice="3g.20gb")
    limits = container_of(gm.GpuJob(component, "train", profile=profile))["resources"]["limits"]
    assert limits["nvidia.com/mig-3g.20gb"] == "1"
    assert "nvidia.com/gpu" not in limits


# -- Jobs and Deployments ----------------------------------------------------------------------


@pytest.mark.parametrize("profile", GPU_PROFILES, ids=_name)
def test_gpu_job_defaults(component: gm.Component, profile: gm.NodeProfile) -> None:
    spec = manifest_of(gm.GpuJob(component, "train", profile=profile))["spec"]
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert spec["backoffLimit"] == 2
    assert "ttlSecondsAfterFinished" not in spec  # run once: a TTL would make selfHeal re-run it


def test_a_run_once_job_is_never_pruned_and_its_old_runs_keep_the_application_synced(
    component: gm.Component,
) -> None:
    """Argo CD's sync-options docs: with Prune=false alone "the app will be out of sync if Argo CD expects
    a resource to be pruned"; compare-options IgnoreExtraneous leaves such a resource out of the sync status."""
    annotations = manifest_of(gm.CpuJob(component, "etl", image=IMAGE))["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/sync-options"] == "Prune=false"
    assert annotations["argocd.argoproj.io/compare-options"] == "IgnoreExtraneous"
    assert "argocd.argoproj.io/hook" not in annotations


def test_cpu_job_defaults(component: gm.Component) -> None:
    job = gm.CpuJob(component, "etl", image=IMAGE)
    spec = manifest_of(job)["spec"]
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert spec["backoffLimit"] == 2
    assert "ttlSecondsAfterFinished" not in spec
    resources = container_of(job)["resources"]
    assert resources == {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}


def test_job_options_are_rendered(component: gm.Component) -> None:
    job = gm.CpuJob(
        component,
        "etl",
        image=IMAGE,
        backoff_limit=0,
        run_policy=gm.RunPolicy.EVERY_SYNC,
        ttl_seconds_after_finished=60,
        active_deadline_seconds=600,
    )
    spec = manifest_of(job)["spec"]
    assert (spec["backoffLimit"], spec["ttlSecondsAfterFinished"], spec["activeDeadlineSeconds"]) == (0, 60, 600)


@pytest.mark.parametrize("construct", [gm.GpuDeployment, gm.CpuDeployment], ids=_name)
def test_deployment_restarts_always_and_selects_its_pods(component: gm.Component, construct: type[gm.Workload]) -> None:
    options: dict[str, Any] = (
        {"profile": gm.NodeProfile.nvidia_cuda()} if construct is gm.GpuDeployment else {"image": IMAGE}
    )
    deployment = manifest_of(construct(component, "serve", replicas=2, **options))
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    assert spec["selector"]["matchLabels"] == {"app.kubernetes.io/instance": "serve", "app.kubernetes.io/name": "serve"}
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()


def test_deployment_port_adds_a_cluster_ip_service_probes_and_a_network_policy(component: gm.Component) -> None:
    objects = gm.CpuDeployment(component, "api", image=IMAGE, port=8080).render()
    assert [obj.manifest["kind"] for obj in objects] == ["Deployment", "Service", "NetworkPolicy"]
    selector = {"app.kubernetes.io/instance": "api", "app.kubernetes.io/name": "api"}
    service = objects[1].manifest
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": "http"}]
    assert service["spec"]["selector"] == selector
    container = objects[0].manifest["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["tcpSocket"] == {"port": "http"}
    assert container["livenessProbe"]["tcpSocket"] == {"port": "http"}
    policy = objects[2].manifest["spec"]
    assert policy["podSelector"] == {"matchLabels": selector}
    assert policy["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_every_namespace_denies_ingress_by_default(component: gm.Component) -> None:
    gm.CpuDeployment(component, "api", image=IMAGE)
    render = render_cluster(component.cluster)
    policies = [
        obj.manifest for part in render.components for obj in part.objects if obj.manifest["kind"] == "NetworkPolicy"
    ]
    assert {(policy["metadata"]["namespace"], policy["metadata"]["name"]) for policy in policies} >= {
        (component.namespace, "default-deny-ingress")
    }
    deny = next(policy for policy in policies if policy["metadata"]["name"] == "default-deny-ingress")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        # Kubernetes' default (k8s.io/api core/v1 Container.imagePullPolicy): Always for :latest or no tag,
        # IfNotPresent otherwise; a latest-* tag moves like latest, so it is pulled every time too
        (IMAGE, "IfNotPresent"),
        ("busybox@sha256:" + "a" * 64, "IfNotPresent"),
        ("busybox:latest@sha256:" + "a" * 64, "IfNotPresent"),
        ("registry.example.com:5000/team/tool:2.1", "IfNotPresent"),
        ("busybox:latest", "Always"),
        ("busybox", "Always"),
        ("registry.example.com:5000/team/tool", "Always"),
        ("tensorflow/tensorflow:latest-gpu", "Always"),
    ],
)
def test_image_pull_policy_is_if_not_present_unless_the_tag_moves(
    component: gm.Component, image: str, policy: str
) -> None:
    assert pod_of(gm.CpuJob(component, "tool", image=image))["containers"][0]["imagePullPolicy"] == policy


# -- CPU workloads ---------------------------------------------------------------------------


@cpu_cases
@pytest.mark.parametrize("profile", GPU_PROFILES, ids=_name)
def test_cpu_workload_prefers_nodes_without_the_cluster_accelerator_identity_labels(
    cluster: Callable[..., gm.Cluster], construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    component = gm.Component(cluster(gpu_profiles=[profile]), "svc")
    pod = pod_of(construct(component, "api", image=IMAGE))  # type: ignore[call-arg]
    assert pod["affinity"] == {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "preference": {
                        "matchExpressions": [
                            {"key": key, "operator": "DoesNotExist"} for key in sorted(profile.identity_labels)
                        ]
                    },
                }
            ]
        }
    }
    assert "requiredDuringSchedulingIgnoredDuringExecution" not in pod["affinity"]["nodeAffinity"]


@cpu_cases
def test_cpu_workload_avoids_every_gpu_profile_of_a_mixed_cluster(
    component: gm.Component, construct: type[gm.Workload]
) -> None:
    pod = pod_of(construct(component, "api", image=IMAGE))  # type: ignore[call-arg]
    (preferred,) = pod["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    keys = {expression["key"] for expression in preferred["preference"]["matchExpressions"]}
    assert keys == {key for profile in GPU_PROFILES for key in profile.identity_labels}
    assert {expression["operator"] for expression in preferred["preference"]["matchExpressions"]} == {"DoesNotExist"}


@cpu_cases
def test_cpu_workload_in_a_cpu_only_cluster_has_no_affinity(
    cluster: Callable[..., gm.Cluster], construct: type[gm.Workload]
) -> None:
    component = gm.Component(cluster(gpu_profiles=[]), "svc")
    assert "affinity" not in pod_of(construct(component, "api", image=IMAGE))  # type: ignore[call-arg]


@cpu_cases
def test_cpu_workload_tolerates_nothing(component: gm.Component, construct: type[gm.Workload]) -> None:
    assert "tolerations" not in pod_of(construct(component, "api", image=IMAGE))  # type: ignore[call-arg]


@cpu_cases
@pytest.mark.parametrize("profile", GPU_PROFILES, ids=_name)
def test_cpu_workload_hides_nvidia_gpus_only_in_clusters_with_nvidia_nodes(
    cluster: Callable[..., gm.Cluster], construct: type[gm.Workload], profile: gm.NodeProfile
) -> None:
    component = gm.Component(cluster(gpu_profiles=[profile]), "svc")
    env = env_of(construct(component, "api", image=IMAGE))  # type: ignore[call-arg]
    if profile.vendor is gm.Vendor.NVIDIA:
        assert env == {"NVIDIA_VISIBLE_DEVICES": "void"}
    else:
        assert env == {}


@cpu_cases
def test_cpu_workload_requests_no_extended_resource(component: gm.Component, construct: type[gm.Workload]) -> None:
    resources = container_of(construct(component, "api", image=IMAGE))["resources"]  # type: ignore[call-arg]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


# -- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize("construct", [*GPU_CONSTRUCTS, *CPU_CONSTRUCTS], ids=_name)
def test_every_workload_carries_the_standard_app_kubernetes_io_labels(
    component: gm.Component, construct: type[gm.Workload]
) -> None:
    is_gpu = construct in GPU_CONSTRUCTS
    options: dict[str, Any] = {"profile": gm.NodeProfile.apple_metal()} if is_gpu else {"image": IMAGE}
    manifest = manifest_of(construct(component, "work", labels={"team": "ml"}, **options))
    labels = manifest["metadata"]["labels"]
    assert {key: value for key, value in labels.items() if key.startswith("app.kubernetes.io/")} == {
        "app.kubernetes.io/name": "work",
        "app.kubernetes.io/instance": "work",
        "app.kubernetes.io/component": "gpu-workload" if is_gpu else "cpu-workload",
        "app.kubernetes.io/managed-by": "gpumanifests",
        "app.kubernetes.io/part-of": component.cluster.name,
    }
    assert labels["team"] == "ml"
    assert manifest["metadata"]["namespace"] == component.namespace
    assert manifest["metadata"]["name"].partition("-")[0] == "work"  # a run-once Job adds a spec digest


# -- escape hatches ---------------------------------------------------------------------------


def test_add_json_patch_reaches_the_rendered_object(component: gm.Component) -> None:
    job = gm.GpuJob(component, "train", profile=gm.NodeProfile.apple_metal())
    job.add_json_patch(gm.JsonPatch.add("/spec/template/spec/priorityClassName", "ml-high"))
    gm.PriorityClass(component, "ml-high", value=1000)
    render = render_cluster(component.cluster)
    (rendered,) = [obj.manifest for r in render.components for obj in r.objects if obj.path == job.path]
    assert rendered["spec"]["template"]["spec"]["priorityClassName"] == "ml-high"
    assert render.problems == [] or all(problem.severity == "warning" for problem in render.problems)


def test_raw_l1_config_map_is_rendered_into_its_component(component: gm.Component) -> None:
    gm.k8s.KubeConfigMap(component, "settings", metadata={"name": "settings"}, data={"epochs": "3"})
    render = render_cluster(component.cluster)
    (own,) = [r for r in render.components if r.component is component]
    (config_map,) = [obj.manifest for obj in own.objects if obj.manifest["kind"] == "ConfigMap"]
    assert config_map["metadata"]["namespace"] == component.namespace
    assert config_map["data"] == {"epochs": "3"}


def test_synthesized_tree_contains_the_raw_config_map(app: gm.GitOpsApp, component: gm.Component) -> None:
    gm.k8s.KubeConfigMap(component, "settings", metadata={"name": "settings"}, data={"epochs": "3"})
    files = gm.synthesize(app).files
    assert f"clusters/{component.cluster.name}/ml/ml_configmap_settings.yaml" in files


# -- bad input ---------------------------------------------------------------------------------

METAL = gm.NodeProfile.apple_metal()


@pytest.mark.parametrize(
    ("make", "argument", "value", "allowed"),
    [
        pytest.param(
            lambda c: gm.GpuJob(c, "train", profile=METAL, gpus=0),
            "gpus",
            "0",
            "is not a GPU count: a whole number, 1 or more",
            id="gpus-0",
        ),
        pytest.param(
            lambda c: gm.GpuJob(c, "train", profile=METAL, labels={"team": "ml ops"}),
            "labels.team",
            "'ml ops'",
            "a label value",
            id="label-value-with-space",
        ),
        pytest.param(
            lambda c: gm.CpuJob(c, "Bad_Name", image=IMAGE), "name", "'Bad_Name'", "a DNS-1123 label", id="bad-name"
        ),
        pytest.param(
            lambda c: gm.GpuJob(c, "Bad_Name", profile=METAL), "name", "'Bad_Name'", "DNS-1123", id="bad-gpu-name"
        ),
        pytest.param(
            lambda c: gm.NodeProfile(name="qc", vendor="qualcomm"),
            "vendor",
            "qualcomm",
            "'apple', 'nvidia', 'amd', 'intel', 'example' or 'none'",
            id="unknown-vendor",
        ),
        pytest.param(
            lambda c: gm.Taint(key="apple.com/gpu", value="present", effect="NoSchedul"),
            "effect",
            "NoSchedul",
            "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'",
            id="taint-effect-typo",
        ),
        pytest.param(
            lambda c: gm.GpuJob(c, "train", profile=gm.NodeProfile.cpu_only()),
            "profile",
            "cpu",
            "use CpuJob or CpuDeployment",
            id="gpu-job-on-cpu-profile",
        ),
        pytest.param(
            lambda c: gm.CpuJob(c, "etl", image=IMAGE, cpu="2", cpu_limit="1"),
            "cpu",
            "'2'",
            "cannot exceed its limit",
            id="request-above-limit",
        ),
        pytest.param(
            lambda c: gm.CpuJob(c, "etl", image=IMAGE, memory="lots"),
            "memory",
            "'lots'",
            "a Kubernetes quantity",
            id="bad-quantity",
        ),
    ],
)
def test_fails_bad_input_at_once_naming_argument_value_and_rule(
    component: gm.Component, make: Callable[[gm.Component], object], argument: str, value: str, allowed: str
) -> None:
    before = len(component.resources)
    with pytest.raises(gm.InvalidInputError) as raised:
        make(component)
    message = str(raised.value)
    assert argument in message
    assert value in message
    assert allowed in message
    assert len(component.resources) == before
