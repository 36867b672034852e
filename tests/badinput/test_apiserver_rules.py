"""What the kube-apiserver refuses, refused first: objects rendered by constructs, raw L1 objects and patches.

Each case builds an app through the public API that the API server (not only its OpenAPI
schema) would refuse, and asserts that synth fails naming the construct path, the field, the bad
value and the rule. The name rules are checked against cases from apimachinery's own tests
(``k8s.io/apimachinery/pkg/util/validation/validation_test.go``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import gpumanifests as gm
from gpumanifests._kube.names import (
    container_resource_name_errors,
    dns1035_label_errors,
    path_segment_errors,
    relaxed_env_var_name_errors,
)

if TYPE_CHECKING:
    from collections.abc import Callable

URL = "https://git.example.com/platform/gitops.git"
CPU = gm.NodeProfile.cpu_only()
NVIDIA = gm.NodeProfile.nvidia_cuda()
IMAGE = "busybox:1.36.1"


def _component(app: gm.GitOpsApp) -> gm.Component:
    nodes = [gm.Node(name="cpu-1", profile=CPU), gm.Node(name="gpu-1", profile=NVIDIA, gpus=1)]
    return gm.Component(gm.Cluster(app, "c", nodes=nodes, repo=gm.GitRepo(url=URL)), "ml")


def _patched_deployment(app: gm.GitOpsApp, *patches: Any) -> None:
    gm.CpuDeployment(_component(app), "api", image=IMAGE).add_json_patch(*patches)


def _patched_gpu_job(app: gm.GitOpsApp, *patches: Any) -> None:
    gm.GpuJob(_component(app), "train", profile=NVIDIA, image=IMAGE).add_json_patch(*patches)


CONTAINER = "/spec/template/spec/containers/0"
LIMITS = f"{CONTAINER}/resources/limits"

CASES: dict[str, tuple[Callable[[gm.GitOpsApp], object], tuple[str, ...]]] = {
    "service-name-not-a-dns-1035-label": (
        lambda app: gm.CpuDeployment(_component(app), "42", image=IMAGE, port=8080),
        ("[c/ml/42/Service]", "Service '42'", "metadata.name", "start with a letter"),
    ),
    "l1-config-map-name-not-a-subdomain": (
        lambda app: gm.k8s.KubeConfigMap(_component(app), "s", metadata={"name": "Train_Settings"}),
        ("[c/ml/ConfigMap/Train_Settings]", "metadata.name", "'Train_Settings'", "lower case alphanumeric"),
    ),
    "patch-renames-a-deployment": (
        lambda app: _patched_deployment(app, gm.JsonPatch.replace("/metadata/name", "Api_Server")),
        ("[c/ml/api]", "metadata.name", "'Api_Server'"),
    ),
    "label-overrides-the-selector": (
        lambda app: gm.CpuDeployment(_component(app), "api", image=IMAGE, labels={"app.kubernetes.io/name": "web"}),
        ("[c/ml/api]", "`selector` does not match template `labels`", "app.kubernetes.io/name=api"),
    ),
    "label-sets-the-job-name": (
        lambda app: gm.CpuJob(_component(app), "work", image=IMAGE, labels={"job-name": "other"}),
        ("[c/ml/work]", "spec.template.metadata.labels", "job-name", "the Job controller sets"),
    ),
    "label-sets-the-controller-uid": (
        lambda app: gm.CpuJob(_component(app), "work", image=IMAGE, labels={"controller-uid": "1234"}),
        ("[c/ml/work]", "controller-uid", "the Job controller sets"),
    ),
    "fractional-gpu-by-patch": (
        lambda app: _patched_gpu_job(app, gm.JsonPatch.replace(f"{LIMITS}/nvidia.com~1gpu", "0.5")),
        ("[c/ml/train]", "limits[nvidia.com/gpu]", "'0.5' must be an integer"),
    ),
    "gpu-request-differs-from-its-limit": (
        lambda app: _patched_gpu_job(app, gm.JsonPatch.add(f"{CONTAINER}/resources/requests/nvidia.com~1gpu", "2")),
        ("[c/ml/train]", "requests[nvidia.com/gpu]", "must be equal to the nvidia.com/gpu limit"),
    ),
    "resource-name-not-extended": (
        lambda app: _patched_gpu_job(app, gm.JsonPatch.add(f"{LIMITS}/NVIDIA.com~1gpu", "1")),
        ("[c/ml/train]", "limits[NVIDIA.com/gpu]", "extended resource name standard"),
    ),
    "cpu-request-over-its-limit": (
        lambda app: _patched_deployment(app, gm.JsonPatch.replace(f"{CONTAINER}/resources/requests/cpu", "8")),
        ("[c/ml/api]", "requests[cpu]", "less than or equal to the cpu limit"),
    ),
    "quantity-that-is-no-quantity": (
        lambda app: _patched_deployment(app, gm.JsonPatch.replace(f"{LIMITS}/memory", "lots")),
        ("[c/ml/api]", "limits.memory", "'lots'"),
    ),
    "image-with-trailing-space": (
        lambda app: _patched_deployment(app, gm.JsonPatch.replace(f"{CONTAINER}/image", "busybox:1.36.1 ")),
        ("[c/ml/api]", "containers[0].image", "leading or trailing whitespace"),
    ),
    "env-name-with-equals": (
        lambda app: _patched_deployment(app, gm.JsonPatch.add(f"{CONTAINER}/env", [{"name": "A=B", "value": "x"}])),
        ("[c/ml/api]", "env[0].name", "'A=B'", "other than '='"),
    ),
    "mount-of-no-volume": (
        lambda app: _patched_deployment(app, gm.JsonPatch.replace(f"{CONTAINER}/volumeMounts/0/name", "scratch")),
        ("[c/ml/api]", "volumeMounts[0].name", "'scratch' is no volume"),
    ),
    "backoff-limit-patched-past-int32": (
        lambda app: gm.CpuJob(_component(app), "work", image=IMAGE).add_json_patch(
            gm.JsonPatch.replace("/spec/backoffLimit", 2**31)
        ),
        ("[c/ml/work]", "spec.backoffLimit", "2147483648 is greater than the maximum of 2147483647", "1.37 API allows"),
    ),
    "deadline-patched-past-int64": (
        lambda app: gm.CpuJob(_component(app), "work", image=IMAGE).add_json_patch(
            gm.JsonPatch.add("/spec/activeDeadlineSeconds", 2**63)
        ),
        ("[c/ml/work]", "spec.activeDeadlineSeconds", "9223372036854775807"),
    ),
    "service-port-past-65535": (
        lambda app: gm.k8s.KubeService(
            _component(app),
            "svc",
            metadata={"name": "svc"},
            spec=gm.k8s.ServiceSpec(ports=[gm.k8s.ServicePort(port=99999)]),
        ),
        ("[c/ml/Service/", "spec.ports[0].port", "99999 must be a port number from 1 to 65535"),
    ),
    "service-type-in-the-wrong-case": (
        lambda app: gm.k8s.KubeService(
            _component(app),
            "svc",
            metadata={"name": "svc"},
            spec=gm.k8s.ServiceSpec(type="ClusterIp", ports=[gm.k8s.ServicePort(port=80, protocol="tcp")]),
        ),
        ("spec.type", "'ClusterIp' is not one of ClusterIP", "spec.ports[0].protocol", "'tcp' is not one of TCP"),
    ),
    "config-map-over-1-mib": (
        lambda app: gm.k8s.KubeConfigMap(
            _component(app), "big", metadata={"name": "big"}, data={"a": "x" * (2**20 + 1)}
        ),
        ("[c/ml/ConfigMap/", "1048577 bytes of data", "at most 1048576"),
    ),
    "object-over-the-etcd-request-size": (
        lambda app: gm.CpuJob(_component(app), "work", image=IMAGE, env={"BLOB": "x" * 2 * 2**20}),
        ("[c/ml/work]", "etcd stores objects of at most 1572864 bytes"),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_synth_refuses_what_the_api_server_refuses(case: tuple[Callable[[gm.GitOpsApp], Any], tuple[str, ...]]) -> None:
    build, expected = case
    app = gm.GitOpsApp()
    build(app)
    with pytest.raises(gm.SynthError) as error:
        gm.synthesize(app)
    missing = [part for part in expected if part not in str(error.value)]
    assert not missing, f"{missing} not in:\n{error.value}"


@pytest.mark.parametrize("name", ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "a" * 63])
def test_dns1035_labels_upstream_accepts(name: str) -> None:
    assert dns1035_label_errors(name) == []


@pytest.mark.parametrize(
    "name", ["", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1", "1a", "a_b", "a" * 64]
)
def test_dns1035_labels_upstream_refuses(name: str) -> None:
    assert dns1035_label_errors(name)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("nvidia.com/gpu", True),
        ("amd.com/gpu", True),
        ("example.com/dongle", True),
        ("cpu", True),
        ("hugepages-2Mi", True),
        ("kubernetes.io/native", True),
        ("gpu", False),
        ("/gpu", False),
        ("a/b/c", False),
        ("NVIDIA.com/gpu", False),
        ("nvidia.com/g pu", False),
        ("nvidia.com/" + "g" * 64, False),
        ("requests.example.com/gpu", False),
    ],
)
def test_container_resource_names_follow_validate_container_resource_name(name: str, valid: bool) -> None:
    assert (container_resource_name_errors(name) == []) is valid


@pytest.mark.parametrize(("name", "valid"), [("A", True), ("A_B-1.x", True), ("1A", True), ("", False), ("A=B", False)])
def test_env_names_follow_is_relaxed_env_var_name(name: str, valid: bool) -> None:
    assert (relaxed_env_var_name_errors(name) == []) is valid


@pytest.mark.parametrize(
    ("name", "valid"), [("system:controller:x", True), ("a.b", True), ("..", False), ("a/b", False)]
)
def test_rbac_names_are_path_segments(name: str, valid: bool) -> None:
    assert (path_segment_errors(name) == []) is valid


def test_a_statefulset_may_mount_its_claim_templates_and_nothing_else() -> None:
    from gpumanifests._kube.apiserver import builtin_object_errors

    container = {"name": "db", "image": "postgres:16.4", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}
    statefulset: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "data"},
        "spec": {
            "selector": {"matchLabels": {"app": "db"}},
            "serviceName": "db",
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [container]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {}}],
        },
    }
    assert builtin_object_errors(statefulset, namespaced=True) == []
    container["volumeMounts"].append({"name": "cache", "mountPath": "/cache"})
    [error] = builtin_object_errors(statefulset, namespaced=True)
    assert str(error).endswith("volumeMounts[1].name: 'cache' is no volume")
