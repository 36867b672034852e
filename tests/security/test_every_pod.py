"""Every pod template in the tree meets its namespace's Pod Security level, whoever produced it.

Pods of raw L1 objects (``gm.k8s``) and pods changed by JSON patches go through the same checks
as the constructs' pods: a namespace enforces the strictest level all its pods meet, a pod must
meet ``restricted`` unless its template declares the step down (the opt-out annotation), and
then still ``baseline``; otherwise synth refuses, naming the object and the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from helpers import RESTRICTED_L1_CONTEXT
from ruamel.yaml import YAML

import gpumanifests as gm
from gpumanifests._kube.labels import OPT_OUT_ANNOTATION

if TYPE_CHECKING:
    from collections.abc import Callable

IMAGE = "busybox:1.36.1"
k8s = gm.k8s


def _template(container: k8s.Container, annotations: dict[str, str] | None = None, **spec: Any) -> k8s.PodTemplateSpec:
    return k8s.PodTemplateSpec(
        metadata=k8s.ObjectMeta(labels={"app": "raw"}, annotations=annotations),
        spec=k8s.PodSpec(containers=[container], **spec),
    )


def _stateful_set(component: gm.Component, template: k8s.PodTemplateSpec) -> None:
    k8s.KubeStatefulSet(
        component,
        "db",
        metadata={"name": "db"},
        spec=k8s.StatefulSetSpec(
            selector=k8s.LabelSelector(match_labels={"app": "raw"}), service_name="db", template=template
        ),
    )


def _problems(app: gm.GitOpsApp) -> list[gm.Problem]:
    with pytest.raises(gm.SynthError) as error:
        gm.synthesize(app)
    return list(error.value.problems)


def _namespace_levels(app: gm.GitOpsApp) -> dict[str, str]:
    yaml = YAML(typ="safe")
    documents = [yaml.load(content) for path, content in gm.synthesize(app).files.items() if path.endswith(".yaml")]
    return {
        doc["metadata"]["name"]: doc["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        for doc in documents
        if doc["kind"] == "Namespace"
    }


@pytest.fixture
def cluster_with(app: gm.GitOpsApp, cluster: Callable[..., gm.Cluster]) -> gm.Cluster:
    return cluster("lab", gpu_profiles=(gm.NodeProfile.nvidia_cuda(),))


def test_a_raw_stateful_set_without_a_security_context_is_refused_naming_its_fields(
    app: gm.GitOpsApp, cluster_with: gm.Cluster
) -> None:
    _stateful_set(gm.Component(cluster_with, "raw"), _template(k8s.Container(name="db", image="postgres:16.4")))
    [problem] = _problems(app)
    assert problem.path == "lab/raw/StatefulSet/db"
    assert "StatefulSet 'db': its pods do not meet Pod Security 'restricted' (policy v1.37)" in problem.message
    assert 'container "db" must set securityContext.allowPrivilegeEscalation=false' in problem.message
    assert 'pod or container "db" must set securityContext.runAsNonRoot=true' in problem.message
    assert OPT_OUT_ANNOTATION in problem.fix


def test_a_raw_pod_meeting_restricted_keeps_its_namespace_restricted(
    app: gm.GitOpsApp, cluster_with: gm.Cluster
) -> None:
    container = k8s.Container(name="db", image="postgres:16.4", security_context=RESTRICTED_L1_CONTEXT)
    _stateful_set(gm.Component(cluster_with, "raw"), _template(container))
    assert _namespace_levels(app)["raw"] == "restricted"


def test_a_declared_root_pod_lowers_only_its_own_namespace_to_baseline(
    app: gm.GitOpsApp, cluster_with: gm.Cluster
) -> None:
    root = k8s.SecurityContext(
        allow_privilege_escalation=False, capabilities=k8s.Capabilities(drop=["ALL"]), run_as_user=0
    )
    opt_out = {OPT_OUT_ANNOTATION: "run-as-root: the vendor image chowns its data directory at start"}
    _stateful_set(
        gm.Component(cluster_with, "raw"),
        _template(k8s.Container(name="db", image="postgres:16.4", security_context=root), opt_out),
    )
    gm.CpuJob(gm.Component(cluster_with, "jobs"), "tool", image=IMAGE)
    levels = _namespace_levels(app)
    assert levels["raw"] == "baseline"
    assert levels["jobs"] == "restricted"


def test_an_opt_out_still_has_to_meet_baseline(app: gm.GitOpsApp, cluster_with: gm.Cluster) -> None:
    job = gm.CpuJob(
        gm.Component(cluster_with, "jobs"),
        "tool",
        image=IMAGE,
        security=gm.SecurityOptOut(run_as_root=True, reason="needs root to read the node's logs"),
    )
    job.add_json_patch(gm.JsonPatch.add("/spec/template/spec/hostPID", True))
    [problem] = _problems(app)
    assert problem.path == "lab/jobs/tool"
    assert "do not meet Pod Security 'baseline'" in problem.message
    assert "host namespaces (hostPID=true)" in problem.message


def test_a_json_patch_that_breaks_restricted_is_refused(app: gm.GitOpsApp, cluster_with: gm.Cluster) -> None:
    job = gm.GpuJob(gm.Component(cluster_with, "ml"), "train", profile=gm.NodeProfile.nvidia_cuda(), image=IMAGE)
    job.add_json_patch(
        gm.JsonPatch.replace("/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation", True)
    )
    [problem] = _problems(app)
    assert problem.path == "lab/ml/train"
    assert 'allowPrivilegeEscalation != false (container "train" must set' in problem.message


def test_a_raw_cron_job_is_checked_through_its_job_template(app: gm.GitOpsApp, cluster_with: gm.Cluster) -> None:
    container = k8s.Container(
        name="report",
        image=IMAGE,
        security_context=RESTRICTED_L1_CONTEXT,
        ports=[k8s.ContainerPort(container_port=80, host_port=80)],
    )
    k8s.KubeCronJob(
        gm.Component(cluster_with, "reports"),
        "nightly",
        metadata={"name": "nightly"},
        spec=k8s.CronJobSpec(
            schedule="0 3 * * *",
            job_template=k8s.JobTemplateSpec(spec=k8s.JobSpec(template=_template(container, restart_policy="Never"))),
        ),
    )
    [problem] = _problems(app)
    assert problem.path == "lab/reports/CronJob/nightly"
    assert 'hostPort (container "report" uses hostPort 80)' in problem.message
