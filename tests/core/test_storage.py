"""Volumes, the model cache, a writable home and ephemeral storage, as the pod spec reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import gpumanifests as gm
from gpumanifests._placement.plan import plan_cluster

if TYPE_CHECKING:
    from collections.abc import Callable

IMAGE = "busybox:1.36.1"
NVIDIA = gm.NodeProfile.nvidia_cuda()


@pytest.fixture
def jobs(cluster: Callable[..., gm.Cluster]) -> gm.Component:
    return gm.Component(cluster("lab", gpu_profiles=()), "jobs")


def _pod(workload: gm.Workload) -> dict[str, Any]:
    return workload.pod_template_spec()


def _volume(workload: gm.Workload, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pod volume called ``name`` and the main container's mount of it."""
    spec = _pod(workload)
    [volume] = [entry for entry in spec["volumes"] if entry["name"] == name]
    [mount] = [entry for entry in spec["containers"][0]["volumeMounts"] if entry["name"] == name]
    return volume, mount


@pytest.mark.parametrize(
    ("volume", "source", "mount"),
    [
        (
            gm.Volume.empty_dir("scratch", "/scratch", size="50Gi"),
            {"emptyDir": {"sizeLimit": "50Gi"}},
            {"mountPath": "/scratch"},
        ),
        (gm.Volume.empty_dir("fast", "/fast", memory=True), {"emptyDir": {"medium": "Memory"}}, {"mountPath": "/fast"}),
        (
            gm.Volume.claim("weights", "/models", claim_name="llama-weights", read_only=True),
            {"persistentVolumeClaim": {"claimName": "llama-weights"}},
            {"mountPath": "/models", "readOnly": True},
        ),
        (
            gm.Volume.claim_template("data", "/data", size="200Gi", storage_class="premium-rwo"),
            {
                "ephemeral": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "200Gi"}},
                            "storageClassName": "premium-rwo",
                        }
                    }
                }
            },
            {"mountPath": "/data"},
        ),
        (
            gm.Volume.config_map(
                "settings", "/etc/app", config_map="app-settings", items={"app.yaml": "conf/app.yaml"}
            ),
            {"configMap": {"name": "app-settings", "items": [{"key": "app.yaml", "path": "conf/app.yaml"}]}},
            {"mountPath": "/etc/app", "readOnly": True},
        ),
        (
            gm.Volume.secret("tls", "/etc/tls", secret="server-tls"),
            {"secret": {"secretName": "server-tls"}},
            {"mountPath": "/etc/tls", "readOnly": True},
        ),
        (
            gm.Volume.projected("creds", "/etc/creds", config_maps=("ca",), secrets=("token",)),
            {"projected": {"sources": [{"configMap": {"name": "ca"}}, {"secret": {"name": "token"}}]}},
            {"mountPath": "/etc/creds", "readOnly": True},
        ),
    ],
    ids=lambda value: getattr(value, "name", ""),
)
def test_each_volume_kind_renders_its_source_and_mount(
    jobs: gm.Component, volume: gm.Volume, source: dict[str, Any], mount: dict[str, Any]
) -> None:
    job = gm.CpuJob(jobs, "tool", image=IMAGE, volumes=[volume])
    rendered, mounted = _volume(job, volume.name)
    assert rendered == {"name": volume.name, **source}
    assert mounted == {"name": volume.name, **mount}
    assert job.pod_template_spec()["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_add_volume_is_the_twin_of_the_prop(jobs: gm.Component) -> None:
    job = gm.CpuJob(jobs, "tool", image=IMAGE)
    added = job.add_volume(gm.Volume.empty_dir("scratch", "/scratch", size="1Gi"))
    assert added.name == "scratch"
    assert _volume(job, "scratch")[0] == {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}


def test_the_model_cache_puts_every_framework_cache_on_the_volume(cluster: Callable[..., gm.Cluster]) -> None:
    serving = gm.Component(cluster("lab", gpu_profiles=(NVIDIA,)), "serving")
    server = gm.GpuDeployment(
        serving,
        "llm",
        profile=NVIDIA,
        image=IMAGE,
        model_cache=gm.Volume.claim_template("model-cache", "/cache", size="100Gi"),
        home_size="1Gi",
    )
    env = {entry["name"]: entry.get("value") for entry in _pod(server)["containers"][0]["env"]}
    assert env["XDG_CACHE_HOME"] == "/cache"
    assert env["HF_HOME"] == "/cache/huggingface"
    assert env["TORCH_HOME"] == "/cache/torch"
    assert env["HOME"] == "/home/app"
    assert _volume(server, "home")[0] == {"name": "home", "emptyDir": {"sizeLimit": "1Gi"}}
    assert _volume(server, "model-cache")[1] == {"name": "model-cache", "mountPath": "/cache"}


def test_mount_cache_is_the_twin_and_takes_one_writable_cache(jobs: gm.Component) -> None:
    job = gm.CpuJob(jobs, "tool", image=IMAGE)
    job.mount_cache(gm.Volume.empty_dir("cache", "/var/cache/models", size="20Gi"))
    assert {"name": "HF_HOME", "value": "/var/cache/models/huggingface"} in _pod(job)["containers"][0]["env"]
    with pytest.raises(gm.InvalidInputError, match="already has model cache 'cache'"):
        job.mount_cache(gm.Volume.empty_dir("other", "/other"))
    with pytest.raises(gm.InvalidInputError, match="model_cache 'cfg' is not writable"):
        gm.CpuJob(jobs, "b", image=IMAGE).mount_cache(gm.Volume.config_map("cfg", "/cfg", config_map="x"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"volumes": [gm.Volume.empty_dir("tmp", "/scratch")]}, "volume name 'tmp' is used twice in the pod"),
        (
            {"volumes": [gm.Volume.empty_dir("a", "/tmp")]},
            "volume 'a' is mounted at /tmp, where 'tmp' is already mounted",
        ),
        (
            {"volumes": [gm.Volume.empty_dir("a", "/x"), gm.Volume.empty_dir("b", "/x")]},
            "volume 'b' is mounted at /x, where 'a' is already mounted",
        ),
        (
            {"model_cache": gm.Volume.claim("c", "/c", claim_name="c", read_only=True)},
            "model_cache 'c' is not writable",
        ),
        ({"ephemeral_storage": "20Gi", "ephemeral_storage_limit": "10Gi"}, "ephemeral_storage='20Gi' is more than"),
        ({"home_size": "0"}, "home_size='0': '0' must be greater than zero"),
    ],
)
def test_volumes_that_cannot_live_together_are_refused(
    jobs: gm.Component, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(gm.InvalidInputError, match=message):
        gm.CpuJob(jobs, "tool", image=IMAGE, **options)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: gm.Volume.empty_dir("data", "data"), "'data' is not an absolute path"),
        (lambda: gm.Volume.empty_dir("data", "/a/../b"), "'/a/../b' is not an absolute path without '..'"),
        (
            lambda: gm.Volume.config_map("c", "/c", config_map="c", items={"k": "/abs"}),
            "'/abs' is not a relative file path",
        ),
        (lambda: gm.Volume.claim_template("d", "/d", size="1Gi", access_modes=()), "access_modes"),
        (lambda: gm.Volume.claim("Bad", "/d", claim_name="x"), "name='Bad'"),
    ],
)
def test_bad_volumes_are_refused_at_construction(build: Callable[[], object], message: str) -> None:
    with pytest.raises(gm.InvalidInputError, match=message.replace("(", r"\(")):
        build()


def test_ephemeral_storage_is_requested_and_counted_by_the_plan(cluster: Callable[..., gm.Cluster]) -> None:
    lab = cluster("lab", gpu_profiles=())  # one CPU node of 100Gi ephemeral storage (the Node default)
    jobs = gm.Component(lab, "jobs")
    first = gm.CpuJob(jobs, "first", image=IMAGE, ephemeral_storage="60Gi", ephemeral_storage_limit="80Gi")
    gm.CpuJob(jobs, "second", image=IMAGE, ephemeral_storage="60Gi")
    resources = _pod(first)["containers"][0]["resources"]
    assert resources["requests"]["ephemeral-storage"] == "60Gi"
    assert resources["limits"]["ephemeral-storage"] == "80Gi"
    [finding] = plan_cluster(lab).findings
    assert finding.workload == "lab/jobs/second"
    assert "Insufficient ephemeral-storage: requested 60Gi, free 40Gi of 100Gi" in finding.problem.message


def test_a_claim_by_name_must_resolve(jobs: gm.Component) -> None:
    gm.CpuJob(jobs, "tool", image=IMAGE, volumes=[gm.Volume.claim("data", "/data", claim_name="shared-data")])
    with pytest.raises(
        gm.SynthError, match=r"refers to PersistentVolumeClaim 'shared-data' \(spec.template.spec.volumes\[1\]\)"
    ):
        gm.synthesize(jobs.cluster.app)
    gm.k8s.KubePersistentVolumeClaim(
        jobs,
        "claim",
        metadata={"name": "shared-data"},
        spec=gm.k8s.PersistentVolumeClaimSpec(
            access_modes=["ReadWriteMany"],
            resources=gm.k8s.VolumeResourceRequirements(requests={"storage": gm.k8s.Quantity.from_string("1Ti")}),
        ),
    )
    assert gm.synthesize(jobs.cluster.app).files


def test_a_claim_syncs_in_its_consumers_wave_and_a_config_map_before_it(jobs: gm.Component) -> None:
    """A WaitForFirstConsumer claim binds only once a pod uses it: an earlier wave would hold Argo CD forever."""
    gm.k8s.KubePersistentVolumeClaim(
        jobs,
        "cache",
        metadata={"name": "cache"},
        spec=gm.k8s.PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=gm.k8s.VolumeResourceRequirements(requests={"storage": gm.k8s.Quantity.from_string("10Gi")}),
        ),
    )
    gm.k8s.KubeConfigMap(jobs, "settings", metadata={"name": "settings"}, data={"A": "1"})
    gm.CpuDeployment(
        jobs,
        "web",
        image=IMAGE,
        volumes=[gm.Volume.claim("cache", "/cache", claim_name="cache")],
        env_from=[gm.EnvSource.config_map("settings")],
    )
    files = gm.synthesize(jobs.cluster.app).files
    waves = {
        path.rsplit("/", 1)[1]: content.decode().split("argocd.argoproj.io/sync-wave: ")[1].split("\n")[0].strip("'\"")
        for path, content in files.items()
        if "/jobs/" in path and path.endswith(".yaml")
    }
    [claim] = [wave for name, wave in waves.items() if "persistentvolumeclaim" in name]
    [deployment] = [wave for name, wave in waves.items() if "deployment" in name]
    [config] = [wave for name, wave in waves.items() if "configmap" in name]
    assert claim == deployment
    assert int(config) < int(deployment)
