"""What the public API promises, each checked: late calls, patches in the pod spec, grouping scopes, URLs."""

from __future__ import annotations

import pytest
from helpers import run_once_job

import gpumanifests as gm

REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
IMAGE = "busybox:1.36.1"


def _cluster(**options: object) -> gm.Cluster:
    nodes = [gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only())]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO, **options)  # type: ignore[arg-type]


def test_fails_on_a_server_that_is_not_an_api_server_url_at_construction() -> None:
    with pytest.raises(
        gm.InvalidInputError, match=r"Cluster 'lab': server='kubernetes\.default': .* is not an https:// URL"
    ):
        _cluster(server="kubernetes.default")


def test_a_server_url_reaches_every_destination() -> None:
    cluster = _cluster(server="https://api.lab.example.com:6443")
    gm.CpuJob(gm.Component(cluster, "jobs"), "job", image=IMAGE)
    files = gm.synthesize(cluster.app).files
    application = files["clusters/lab/apps/argocd_application.argoproj.io_jobs.yaml"].decode()
    assert "server: https://api.lab.example.com:6443" in application


def test_the_namespace_level_follows_the_typed_opt_out_not_its_reason_text() -> None:
    """A reason that merely mentions run-as-root does not lower the namespace to baseline."""
    cluster = _cluster()
    jobs = gm.Component(cluster, "jobs")
    opt_out = gm.SecurityOptOut(writable_root_filesystem=True, reason="the tool writes to /etc; it is not run-as-root")
    gm.CpuJob(jobs, "job", image=IMAGE, security=opt_out)
    namespace = gm.synthesize(cluster.app).files["clusters/lab/jobs/namespace_jobs.yaml"].decode()
    assert "pod-security.kubernetes.io/enforce: restricted" in namespace


def test_a_root_opt_out_lowers_its_namespace_to_baseline() -> None:
    cluster = _cluster()
    jobs = gm.Component(cluster, "jobs")
    gm.CpuJob(jobs, "job", image=IMAGE, security=gm.SecurityOptOut(run_as_root=True, reason="vendor image needs root"))
    namespace = gm.synthesize(cluster.app).files["clusters/lab/jobs/namespace_jobs.yaml"].decode()
    assert "pod-security.kubernetes.io/enforce: baseline" in namespace


def test_pod_template_spec_is_the_committed_spec_with_patches() -> None:
    cluster = _cluster()
    job = gm.CpuJob(gm.Component(cluster, "jobs"), "job", image=IMAGE)
    job.add_json_patch(gm.JsonPatch.add("/spec/template/spec/priorityClassName", "batch-low"))
    assert job.pod_template_spec()["priorityClassName"] == "batch-low"


def test_calls_after_a_synth_reach_the_next_synth() -> None:
    cluster = _cluster()
    job = gm.CpuJob(gm.Component(cluster, "jobs"), "job", image=IMAGE)
    files = gm.synthesize(cluster.app).files
    assert "WANDB_MODE" not in files[run_once_job(files, "clusters/lab/jobs/jobs_job_job")].decode()
    job.add_env("WANDB_MODE", "offline")
    job.add_json_patch(gm.JsonPatch.add("/spec/activeDeadlineSeconds", 600))
    job.tolerate(gm.Toleration(key="example.com/batch", effect=gm.TaintEffect.NO_SCHEDULE))
    job.add_container(gm.Container(name="shipper", image="fluent/fluent-bit:3.1.9"))
    files = gm.synthesize(cluster.app).files
    manifest = files[run_once_job(files, "clusters/lab/jobs/jobs_job_job")].decode()
    for expected in ("WANDB_MODE", "activeDeadlineSeconds: 600", "example.com/batch", "name: shipper"):
        assert expected in manifest


def test_a_plain_construct_groups_resources_inside_a_component() -> None:
    """The CDK idiom: an empty Construct as a namespace for ids."""
    cluster = _cluster()
    group = gm.Construct(gm.Component(cluster, "jobs"), "nightly")
    job = gm.CpuJob(group, "job", image=IMAGE)
    assert job.path == "lab/jobs/nightly/job"
    assert run_once_job(gm.synthesize(cluster.app).files, "clusters/lab/jobs/jobs_job_job")


def test_the_tree_answers_like_the_cdk_node_api() -> None:
    """``node`` shows ids, paths, scopes and children; ``try_find_child`` finds any of them by id."""
    cluster = _cluster()
    jobs = gm.Component(cluster, "jobs")
    nightly = gm.Construct(jobs, "nightly")
    report = gm.CpuJob(nightly, "report", image=IMAGE)
    config = gm.k8s.KubeConfigMap(nightly, "flags")
    assert cluster.app.node.find_child("lab") is cluster
    assert cluster.node.try_find_child("jobs") is jobs
    assert cluster.node.try_find_child("nothing") is None
    assert (nightly.node.id, nightly.node.path, nightly.node.scope) == ("nightly", "lab/jobs/nightly", jobs)
    assert nightly.node.children == [report, config]
    assert nightly.component is jobs


def test_a_construct_of_your_own_groups_resources_under_its_id() -> None:
    class Pipeline(gm.Construct):
        def __init__(self, scope: gm.Component, id: str) -> None:
            super().__init__(scope, id)
            gm.CpuJob(self, f"{id}-extract", image=IMAGE)

    cluster = _cluster()
    pipeline = Pipeline(gm.Component(cluster, "jobs"), "etl")
    assert [child.path for child in pipeline.node.children] == ["lab/jobs/etl/etl-extract"]  # type: ignore[attr-defined]


def test_a_construct_of_your_own_must_take_its_place_first() -> None:
    class Forgetful(gm.Construct):
        def __init__(self, scope: gm.Component, id: str) -> None:
            gm.CpuJob(self, "job", image=IMAGE)

    with pytest.raises(gm.InvalidInputError, match=r"its __init__ must call super\(\)\.__init__\(scope, id\)"):
        Forgetful(gm.Component(_cluster(), "jobs"), "etl")


def test_a_resource_has_a_node_too() -> None:
    cluster = _cluster()
    report = gm.CpuJob(gm.Construct(gm.Component(cluster, "jobs"), "nightly"), "report", image=IMAGE)
    assert (report.node.id, report.node.path) == ("report", "lab/jobs/nightly/report")
    assert report.path == report.node.path
    assert report.node.children == []


def test_a_gm_json_patch_patches_an_l1_object_as_cdk8s_does() -> None:
    """cdk8s applies an L1 object's patches (its ``remove`` of a missing path does nothing)."""
    cluster = _cluster()
    flags = gm.k8s.KubeConfigMap(gm.Component(cluster, "jobs"), "flags", data={"mode": "fast"})
    flags.add_json_patch(gm.JsonPatch.add("/data/level", "debug"), gm.JsonPatch.remove("/data/absent"))
    [manifest] = [f for path, f in gm.synthesize(cluster.app).files.items() if "configmap_lab-jobs-flags" in path]
    assert "level: debug" in manifest.decode()


def test_any_cdk8s_construct_can_go_in_a_components_jsii_scope() -> None:
    """``jsii_scope()`` is the component's cdk8s Chart: the ApiObjects below it render into the component."""
    import cdk8s

    cluster = _cluster()
    jobs = gm.Component(cluster, "jobs")
    cdk8s.ApiObject(jobs.jsii_scope(), "raw", api_version="v1", kind="ConfigMap", metadata={"name": "raw"})
    [manifest] = [f for path, f in gm.synthesize(cluster.app).files.items() if path.endswith("configmap_raw.yaml")]
    assert "namespace: jobs" in manifest.decode()


def test_a_failed_l1_object_leaves_its_id_free() -> None:
    jobs = gm.Component(_cluster(), "jobs")
    with pytest.raises(gm.InvalidInputError, match=r"gm\.k8s\.KubeConfigMap 'lab/jobs/flags'"):
        gm.k8s.KubeConfigMap(jobs, "flags", data=5)  # type: ignore[arg-type]
    assert gm.k8s.KubeConfigMap(jobs, "flags", data={"mode": "fast"}) in jobs.node.children


def test_fails_on_a_resource_outside_any_component() -> None:
    cluster = _cluster()
    with pytest.raises(
        gm.InvalidInputError, match=r"CpuJob 'lab/job': scope=<Cluster lab>: expected a gm.Component or"
    ):
        gm.CpuJob(cluster, "job", image=IMAGE)


@pytest.mark.parametrize("method", ["synth", "synth_yaml"])
def test_fails_on_cdk8s_synth_naming_gpumanifests_synth(method: str) -> None:
    """cdk8s' own writer would write an unchecked dist/; the app refuses and names the real command."""
    cluster = _cluster()
    gm.CpuJob(gm.Component(cluster, "jobs"), "job", image=IMAGE)
    with pytest.raises(gm.GpuManifestsError, match=r"run `gpumanifests synth`, or call gm\.synthesize\(app\)"):
        getattr(cluster.app, method)()
