"""A battery of bad inputs: every public constructor, the synth checks and the command line.

Each case names the substrings its message must hold: the object, the field, the bad value and
what is allowed. CLI cases run ``gpumanifests._cli.main`` in-process on a copy of ``apps/``
(edited per case) and a copy of a good tree; they assert the exit code (2 usage, 1 invalid
input), that no traceback is printed, and that every file of the out dir is byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

import gpumanifests as gm
from gpumanifests._cli.main import main

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "apps"
URL = "https://git.example.com/platform/gpumanifests.git"
CPU = gm.NodeProfile.cpu_only()
NVIDIA = gm.NodeProfile.nvidia_cuda()
DNS_LABEL = "is not a DNS-1123 label: at most 63 characters"
LABEL_KEY = "is not a label key"
LABEL_VALUE = "is not a label value"
QUANTITY = "is not a Kubernetes quantity"


def _cluster(app: gm.GitOpsApp, name: str = "c", **overrides: Any) -> gm.Cluster:
    options: dict[str, Any] = {
        "nodes": [gm.Node(name="cpu-1", profile=CPU), gm.Node(name="gpu-1", profile=NVIDIA, gpus=1)],
        "repo": gm.GitRepo(url=URL),
    }
    options.update(overrides)
    return gm.Cluster(app, name, **options)


def _component(app: gm.GitOpsApp) -> gm.Component:
    return gm.Component(_cluster(app), "ml", namespace="ml")


def _gpu_job(app: gm.GitOpsApp, **options: Any) -> None:
    gm.GpuJob(_component(app), options.pop("id", "train"), profile=options.pop("profile", NVIDIA), **options)


def _cpu_job(app: gm.GitOpsApp, **options: Any) -> None:
    gm.CpuJob(_component(app), options.pop("id", "work"), image=options.pop("image", "busybox:1.36.1"), **options)


def _cpu_deployment(app: gm.GitOpsApp, **options: Any) -> None:
    image = options.pop("image", "busybox:1.36.1")
    gm.CpuDeployment(_component(app), options.pop("id", "api"), image=image, **options)


def _gpu_deployment(app: gm.GitOpsApp, **options: Any) -> None:
    gm.GpuDeployment(_component(app), options.pop("id", "serve"), profile=options.pop("profile", NVIDIA), **options)


Case = tuple["Callable[[gm.GitOpsApp], object]", tuple[str, ...]]

# (what is built, substrings of the message): object, field, bad value, what is allowed
CONSTRUCTOR_CASES: dict[str, Case] = {
    # NodeProfile
    "profile-name-uppercase": (
        lambda app: gm.NodeProfile(name="Big_GPU", vendor=gm.Vendor.NVIDIA),
        ("NodeProfile", "name", "'Big_GPU'", DNS_LABEL),
    ),
    "profile-name-64-chars": (
        lambda app: gm.NodeProfile(name="g" * 64, vendor=gm.Vendor.NVIDIA),
        ("NodeProfile", "name", "g" * 64, "at most 63 characters"),
    ),
    "profile-unknown-vendor": (
        lambda app: gm.NodeProfile(name="x", vendor="qualcomm"),  # type: ignore[arg-type]
        ("NodeProfile", "vendor", "qualcomm", "'apple', 'nvidia', 'amd', 'intel', 'example' or 'none'"),
    ),
    "profile-bad-label-key": (
        lambda app: gm.NodeProfile(name="x", vendor=gm.Vendor.AMD, accelerator_labels={"-gpu": "true"}),
        ("NodeProfile", "accelerator_labels", "'-gpu'", LABEL_KEY),
    ),
    "profile-bad-label-value": (
        lambda app: gm.NodeProfile(name="x", vendor=gm.Vendor.AMD, pool_labels={"pool": "a b"}),
        ("NodeProfile", "pool_labels", "'a b'", LABEL_VALUE),
    ),
    "profile-label-value-64-chars": (
        lambda app: gm.NodeProfile(name="x", vendor=gm.Vendor.AMD, pool_labels={"pool": "v" * 64}),
        ("NodeProfile", "pool_labels", "v" * 64, "at most 63 characters"),
    ),
    "profile-bad-gpu-resource": (
        lambda app: gm.NodeProfile(name="x", vendor=gm.Vendor.AMD, gpu_resource="gpu"),
        ("NodeProfile", "gpu_resource", "'gpu'", "is not an extended resource name"),
    ),
    "profile-gpu-resource-uppercase-domain": (
        lambda app: gm.NodeProfile(name="x", vendor=gm.Vendor.NVIDIA, gpu_resource="NVIDIA.com/gpu"),
        ("NodeProfile", "gpu_resource", "'NVIDIA.com/gpu'", "a lowercase DNS subdomain"),
    ),
    "profile-gpu-resource-in-kubernetes-io": (
        lambda app: gm.NodeProfile(name="x", vendor=gm.Vendor.NVIDIA, gpu_resource="kubernetes.io/gpu"),
        ("NodeProfile", "gpu_resource", "'kubernetes.io/gpu'", "outside kubernetes.io"),
    ),
    "profile-env-name-with-equals": (
        lambda app: gm.NodeProfile(name="x", vendor=gm.Vendor.NVIDIA, env={"A=B": "1"}),
        ("NodeProfile", "env", "'A=B'", "is not an environment variable name"),
    ),
    "profile-empty-env-name": (
        lambda app: gm.NodeProfile(name="x", vendor=gm.Vendor.NVIDIA, env={"": "1"}),
        ("NodeProfile", "env=''", "is not an environment variable name"),
    ),
    "profile-image-with-trailing-space": (
        lambda app: gm.NodeProfile(name="x", vendor=gm.Vendor.NVIDIA, images={gm.Framework.PYTORCH: "nvcr.io/x:1 "}),
        ("NodeProfile", "images.pytorch", "'nvcr.io/x:1 '", "is not an image reference"),
    ),
    "profile-shared-false": (
        lambda app: gm.NodeProfile.nvidia_cuda(shared=False),  # type: ignore[arg-type]
        ("NodeProfile.nvidia_cuda", "shared=False", "'time-slicing' or 'mps' or None"),
    ),
    "profile-unknown-intel-driver": (
        lambda app: gm.NodeProfile.intel_gpu(driver="xe2"),  # type: ignore[arg-type]
        ("NodeProfile.intel_gpu", "driver='xe2'", "expected 'i915' or 'xe'"),
    ),
    "profile-label-in-both-sets": (
        lambda app: gm.NodeProfile(
            name="x", vendor=gm.Vendor.AMD, accelerator_labels={"k": "a"}, pool_labels={"k": "b"}
        ),
        ("NodeProfile", "profile 'x'", "['k']", "give each label key once"),
    ),
    "profile-mig-and-shared": (
        lambda app: gm.NodeProfile.nvidia_cuda(mig_slice="3g.20gb", shared="mps"),
        ("mig_slice", "shared", "exclusive"),
    ),
    "profile-unknown-field": (
        lambda app: gm.NodeProfile(name="x", vendor=gm.Vendor.AMD, colour="red"),  # type: ignore[call-arg]
        ("NodeProfile", "colour", "'red'", "unknown argument; the arguments are:"),
    ),
    # Taint and Toleration
    "taint-bad-effect": (
        lambda app: gm.Taint(key="gpu", effect="NoRun"),  # type: ignore[arg-type]
        ("Taint", "effect", "NoRun", "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"),
    ),
    "taint-bad-key": (
        lambda app: gm.Taint(key="a/b/c", effect=gm.TaintEffect.NO_SCHEDULE),
        ("Taint", "key", "'a/b/c'", LABEL_KEY),
    ),
    "taint-bad-value": (
        lambda app: gm.Taint(key="gpu", value="yes please", effect=gm.TaintEffect.NO_SCHEDULE),
        ("Taint", "value", "'yes please'", LABEL_VALUE),
    ),
    "toleration-exists-with-value": (
        lambda app: gm.Toleration(key="gpu", operator=gm.TolerationOperator.EXISTS, value="v", effect="NoSchedule"),  # type: ignore[arg-type]
        ("Toleration", "'gpu'", "Exists", "'v'", "drop the value or use operator Equal"),
    ),
    "toleration-bad-operator": (
        lambda app: gm.Toleration(key="gpu", operator="In", effect=gm.TaintEffect.NO_SCHEDULE),  # type: ignore[arg-type]
        ("Toleration", "operator", "'In'", "'Equal' or 'Exists'"),
    ),
    # Node
    "node-gpu-profile-zero-gpus": (
        lambda app: gm.Node(name="n1", profile=NVIDIA, gpus=0),
        ("Node", "node 'n1'", "gpus=0", "at least 1"),
    ),
    "node-cpu-profile-with-gpus": (
        lambda app: gm.Node(name="n1", profile=CPU, gpus=2),
        ("Node", "node 'n1'", "gpus=2", "use a GPU profile or set gpus=0"),
    ),
    "node-negative-gpus": (
        lambda app: gm.Node(name="n1", profile=NVIDIA, gpus=-1),
        ("Node", "gpus", "-1", "greater than or equal to 0"),
    ),
    "node-bad-name": (
        lambda app: gm.Node(name="Node_1", profile=CPU),
        ("Node", "name", "'Node_1'", "DNS-1123 subdomain"),
    ),
    "node-bad-cpu-quantity": (
        lambda app: gm.Node(name="n1", profile=CPU, cpu="lots"),
        ("Node", "cpu", "'lots'", QUANTITY),
    ),
    "node-zero-memory": (
        lambda app: gm.Node(name="n1", profile=CPU, memory="0"),
        ("Node", "memory", "'0'", "greater than zero"),
    ),
    # GitRepo
    "repo-url-without-scheme": (
        lambda app: gm.GitRepo(url="github.com/org/repo"),
        ("GitRepo", "url", "'github.com/org/repo'", "https://github.com/acme/gitops.git"),
    ),
    "repo-url-http": (
        lambda app: gm.GitRepo(url="http://git.example.com/x.git"),
        ("GitRepo", "url", "'http://git.example.com/x.git'", "https://github.com/acme/gitops.git"),
    ),
    "repo-absolute-path": (
        lambda app: gm.GitRepo(url=URL, path="/gitops"),
        ("GitRepo", "path", "'/gitops'", "relative to the repository root"),
    ),
    # Cluster
    "cluster-without-nodes": (
        lambda app: _cluster(app, nodes=[]),
        ("Cluster 'c'", "nodes", "at least 1 item"),
    ),
    "cluster-duplicate-node-names": (
        lambda app: _cluster(app, nodes=[gm.Node(name="n1", profile=CPU), gm.Node(name="n1", profile=CPU)]),
        ("Cluster 'c'", "nodes", "node names must be unique in a cluster; repeated: n1"),
    ),
    "cluster-bad-name": (
        lambda app: _cluster(app, name="Data_Platform"),
        ("Cluster 'Data_Platform'", "name", "'Data_Platform'", DNS_LABEL),
    ),
    "cluster-other-kubernetes-version": (
        lambda app: _cluster(app, kubernetes_version="1.20"),
        ("Cluster 'c'", "kubernetes_version", "'1.20'", "is not a supported Kubernetes minor; supported: 1.35"),
    ),
    "cluster-two-profiles-one-name": (
        lambda app: _cluster(
            app,
            nodes=[
                gm.Node(name="a", profile=gm.NodeProfile.nvidia_cuda(), gpus=1),
                gm.Node(name="b", profile=gm.NodeProfile.nvidia_cuda(runtime_class_name="nvidia"), gpus=1),
            ],
        ),
        ("Cluster 'c'", "nodes", "'nvidia'", "give each profile its own name"),
    ),
    # Component
    "job-name-with-trailing-newline": (
        lambda app: _cpu_job(app, id="job\n"),
        ("CpuJob", "'job\\n'", DNS_LABEL),
    ),
    "label-value-with-trailing-newline": (
        lambda app: _cpu_job(app, labels={"team": "ml\n"}),
        ("CpuJob 'work'", "labels.team", LABEL_VALUE),
    ),
    "toleration-value-with-trailing-newline": (
        lambda app: gm.Toleration(key="gpu", value="x\n", effect=gm.TaintEffect.NO_SCHEDULE),
        ("Toleration", "value", LABEL_VALUE),
    ),
    "component-named-apps": (
        lambda app: gm.Component(_cluster(app), "apps"),
        ("Component 'apps'", "a directory every cluster has"),
    ),
    "component-bad-namespace": (
        lambda app: gm.Component(_cluster(app), "ml", namespace="ML Jobs"),
        ("Component 'ml'", "namespace", "'ML Jobs'", DNS_LABEL),
    ),
    # Workloads
    "gpujob-zero-gpus": (
        lambda app: _gpu_job(app, gpus=0),
        ("GpuJob 'train'", "gpus", "=0", "is not a GPU count: a whole number, 1 or more"),
    ),
    "gpujob-negative-gpus": (
        lambda app: _gpu_job(app, gpus=-2),
        ("GpuJob 'train'", "gpus", "=-2", "is not a GPU count: a whole number, 1 or more"),
    ),
    "gpujob-fractional-gpus": (
        lambda app: _gpu_job(app, gpus=0.5),
        ("GpuJob 'train'", "gpus", "=0.5", "is not a GPU count: a whole number, 1 or more"),
    ),
    "gpujob-bool-gpus": (
        lambda app: _gpu_job(app, gpus=True),
        ("GpuJob 'train'", "gpus", "=True", "is not a GPU count: a whole number, 1 or more"),
    ),
    "gpujob-name-64-chars": (
        lambda app: _gpu_job(app, id="t" * 64),
        ("GpuJob", "name", "t" * 64, "at most 63 characters"),
    ),
    "gpujob-cpu-profile": (
        lambda app: _gpu_job(app, profile=CPU),
        ("GpuJob 'train'", "profile 'cpu'", "has no accelerator", "use CpuJob or CpuDeployment"),
    ),
    "gpujob-shm-over-memory-limit": (
        lambda app: _gpu_job(app, shared_memory="8Gi"),
        ("GpuJob 'train'", "shared_memory='8Gi'", "must be less than memory_limit='4Gi'"),
    ),
    "gpujob-bad-env-name": (
        lambda app: _gpu_job(app, env={"1BAD": "x"}),
        ("GpuJob 'train'", "env", "'1BAD'", "not starting with a digit"),
    ),
    "cpujob-bad-image": (
        lambda app: _cpu_job(app, image="Busy Box"),
        ("CpuJob 'work'", "image", "'Busy Box'", "[registry/]repository[:tag][@sha256:digest]"),
    ),
    "cpujob-bad-quantity": (
        lambda app: _cpu_job(app, memory="1 GB"),
        ("CpuJob 'work'", "memory", "'1 GB'", QUANTITY),
    ),
    "cpujob-request-over-limit": (
        lambda app: _cpu_job(app, cpu="2", cpu_limit="1"),
        ("CpuJob 'work'", "cpu='2'", "cpu_limit='1'", "a request cannot exceed its limit"),
    ),
    "cpujob-negative-backoff": (
        lambda app: _cpu_job(app, backoff_limit=-1),
        ("CpuJob 'work'", "backoff_limit", "=-1", "greater than or equal to 0"),
    ),
    "cpujob-bad-label-key": (
        lambda app: _cpu_job(app, labels={"team/": "ml"}),
        ("CpuJob 'work'", "labels", "'team/'", LABEL_KEY),
    ),
    "cpujob-uppercase-name": (
        lambda app: _cpu_job(app, id="Work"),
        ("CpuJob 'Work'", "name", "'Work'", DNS_LABEL),
    ),
    "cpudeployment-port-out-of-range": (
        lambda app: _cpu_deployment(app, port=70000),
        ("CpuDeployment 'api'", "port", "=70000", "less than or equal to 65535"),
    ),
    "cpudeployment-negative-replicas": (
        lambda app: _cpu_deployment(app, replicas=-1),
        ("CpuDeployment 'api'", "replicas", "=-1", "greater than or equal to 0"),
    ),
    "gpudeployment-bool-gpus": (
        lambda app: _gpu_deployment(app, gpus=False),
        ("GpuDeployment 'serve'", "gpus", "=False", "is not a GPU count: a whole number, 1 or more"),
    ),
    "gpudeployment-unknown-option": (
        lambda app: _gpu_deployment(app, gpu_count=2),
        ("GpuDeployment 'serve'", "gpu_count", "=2", "unknown argument; the arguments are:"),
    ),
    # SecurityOptOut
    "optout-nothing": (
        lambda app: gm.SecurityOptOut(reason="because the vendor said so"),
        ("SecurityOptOut", "must opt out of something", "run_as_root or writable_root_filesystem"),
    ),
    "optout-short-reason": (
        lambda app: gm.SecurityOptOut(run_as_root=True, reason="root"),
        ("SecurityOptOut", "reason", "'root'", "at least 8 characters"),
    ),
}


@pytest.mark.parametrize("case", CONSTRUCTOR_CASES.values(), ids=CONSTRUCTOR_CASES.keys())
def test_constructor_refuses(case: Case) -> None:
    build, expected = case
    with pytest.raises((gm.InvalidInputError, ValidationError, ValueError)) as error:
        build(gm.GitOpsApp())
    message = str(error.value)
    missing = [part for part in expected if part not in message]
    assert not missing, f"{missing} not in:\n{message}"


def test_workload_errors_are_invalid_input_errors() -> None:
    """The construct constructors raise the library's own error type, one line per bad argument."""
    with pytest.raises(gm.InvalidInputError) as error:
        _gpu_job(gm.GitOpsApp(), gpus=0, cpu="x")
    lines = str(error.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("GpuJob 'train': ") for line in lines)


# -- synth-time problems ---------------------------------------------------------------------


def test_duplicate_object_names_in_a_namespace_fail_the_synth() -> None:
    app = gm.GitOpsApp()
    cluster = _cluster(app)
    gm.CpuJob(gm.Component(cluster, "first", namespace="shared"), "worker", image="busybox:1.36.1")
    gm.CpuJob(gm.Component(cluster, "second", namespace="shared"), "worker", image="busybox:1.36.1")
    with pytest.raises(gm.SynthError) as error:
        gm.synthesize(app)
    message = str(error.value)
    for part in ("c/second/worker", "Job 'worker-", "namespace 'shared'", "also defined by c/first/worker", "rename"):
        assert part in message


def test_duplicate_cluster_names_fail_at_once() -> None:
    app = gm.GitOpsApp()
    _cluster(app, name="twin")
    with pytest.raises(gm.InvalidInputError, match="Cluster 'twin': id 'twin' is already used"):
        _cluster(app, name="twin")


def test_a_cluster_declared_by_two_app_files_names_the_first(tmp_path: Path) -> None:
    app_file = (
        "import gpumanifests as gm\n\n\ndef build(app):\n    gm.Cluster(app, 'twin', nodes=[gm.Node(name='n', "
        "profile=gm.NodeProfile.cpu_only())], repo=gm.GitRepo(url='https://git.example.com/platform/t.git'))\n"
    )
    for name in ("first.py", "second.py"):
        (tmp_path / name).write_text(app_file, encoding="utf-8")
    from gpumanifests._synth.loader import AppLoadError, load_apps

    with pytest.raises(AppLoadError) as error:
        load_apps(tmp_path)
    assert str(error.value).startswith(
        f"{tmp_path.name}/second.py at second.py:5: Cluster 'twin': id 'twin' is already used under 'the app' "
        f"(by {tmp_path.name}/first.py); construct ids must be unique among siblings, rename one"
    )


def test_duplicate_workload_ids_in_a_component_fail_at_once() -> None:
    component = gm.Component(_cluster(gm.GitOpsApp()), "ml")
    gm.CpuJob(component, "job", image="busybox:1.36.1")
    with pytest.raises(gm.InvalidInputError, match="CpuJob 'job': id 'job' is already used under 'c/ml'"):
        gm.CpuJob(component, "job", image="busybox:1.36.1")


def test_an_app_without_clusters_fails_the_synth() -> None:
    with pytest.raises(gm.SynthError, match="the apps declare no cluster"):
        gm.synthesize(gm.GitOpsApp())


def test_gpu_workload_on_a_profile_no_node_has_fails_the_synth() -> None:
    app = gm.GitOpsApp()
    amd = gm.NodeProfile.amd_rocm()
    gm.GpuJob(gm.Component(_cluster(app), "ml"), "train", profile=amd, image="rocm/pytorch:6.2")
    with pytest.raises(gm.SynthError) as error:
        gm.synthesize(app)
    assert "c/ml/train" in str(error.value)
    assert "'amd'" in str(error.value)


# -- the command line ------------------------------------------------------------------------


def _hashes(root: Path) -> dict[str, str]:
    if root.is_file():
        return {".": hashlib.sha256(root.read_bytes()).hexdigest()}
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def good_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree synthesized from an unedited copy of apps/."""
    base = tmp_path_factory.mktemp("good")
    apps = base / "apps"
    shutil.copytree(APPS, apps, ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["synth", "--apps", str(apps), "--out", str(base / "gitops")]) == 0
    return base / "gitops"


class Workspace:
    """A copy of apps/ and of a good tree, and the CLI run over them."""

    def __init__(self, root: Path, good_tree: Path) -> None:
        self.apps = root / "apps"
        self.out = root / "gitops"
        shutil.copytree(APPS, self.apps, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(good_tree, self.out)

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.apps / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def append(self, name: str, text: str) -> None:
        with (self.apps / name).open("a", encoding="utf-8") as file:
            file.write(text)

    def args(self, command: str = "synth") -> list[str]:
        return [command, "--apps", str(self.apps), "--out", str(self.out)]


@pytest.fixture
def ws(tmp_path: Path, good_tree: Path) -> Workspace:
    return Workspace(tmp_path, good_tree)


def _metal_raises(ws: Workspace) -> None:
    ws.edit(
        "local_metal.py", '    """Declare the data-platform-local cluster."""\n', '    raise RuntimeError("boom")\n'
    )


def _exit_in_app(ws: Workspace) -> None:
    ws.edit("local_metal.py", '    """Declare the data-platform-local cluster."""\n', "    raise SystemExit(3)\n")


def _dup_object(ws: Workspace) -> None:
    ws.append(
        "local_metal.py",
        "\n\ndef _more(cluster):\n"
        "    extra = gm.Component(cluster, 'extra', namespace='platform')\n"
        "    gm.CpuDeployment(extra, 'platform-api', image='busybox:1.36.1')\n",
    )
    ws.edit(
        "local_metal.py",
        "    declare_seed_workloads(cluster, METAL)\n",
        "    declare_seed_workloads(cluster, METAL)\n    _more(cluster)\n",
    )


def _remove(path: Path) -> None:
    shutil.rmtree(path)


def _replace_with_file(path: Path) -> None:
    shutil.rmtree(path)
    path.write_text("not a directory\n")


# (edit the workspace, CLI args (None: default synth), exit code, substrings of stderr)
CLI_CASES: dict[str, tuple[Callable[[Workspace], object], list[str] | None, int, tuple[str, ...]]] = {
    "app-raises": (_metal_raises, None, 1, ("apps/local_metal.py raised RuntimeError at local_metal.py:", "boom")),
    "app-calls-exit": (_exit_in_app, None, 1, ("apps/local_metal.py", "sys.exit(3)")),
    "app-syntax-error": (
        lambda ws: ws.append("cloud_nvidia.py", "\ndef broken(:\n"),
        None,
        1,
        ("apps/cloud_nvidia.py:", "syntax error"),
    ),
    "shared-module-syntax-error": (
        lambda ws: ws.append("_seed.py", "\nclass (\n"),
        None,
        1,
        ("apps/_seed.py:", "syntax error"),
    ),
    "app-without-build": (
        lambda ws: ws.edit("cloud_nvidia.py", "def build(", "def build_it("),
        None,
        1,
        ("apps/cloud_nvidia.py", "defines no build(app) function"),
    ),
    "missing-apps-dir": (lambda ws: _remove(ws.apps), None, 1, ("apps directory", "does not exist", "--apps")),
    "apps-dir-is-a-file": (lambda ws: _replace_with_file(ws.apps), None, 1, ("apps directory", "is a file")),
    "no-app-files": (
        lambda ws: [path.unlink() for path in ws.apps.glob("[!_]*.py")],
        None,
        1,
        ("has no app files", "build(app)"),
    ),
    "malformed-repo-url": (
        lambda ws: ws.edit("local_metal.py", 'url="https://git.example.com/', 'url="git.example.com/'),
        None,
        1,
        ("apps/local_metal.py", "GitRepo", "url=", "'git.example.com/platform/gpumanifests.git'", "https://host/"),
    ),
    "bad-node-name-in-app": (
        lambda ws: ws.edit("cloud_nvidia.py", 'name="cloud-cpu-1"', 'name="Cloud_CPU_1"'),
        None,
        1,
        ("apps/cloud_nvidia.py", "Node", "name=", "'Cloud_CPU_1'", "DNS-1123 subdomain"),
    ),
    "duplicate-node-names-in-app": (
        lambda ws: ws.edit("cloud_nvidia.py", 'name="cloud-cpu-2"', 'name="cloud-cpu-1"'),
        None,
        1,
        ("Cluster 'data-platform-cloud'", "nodes", "repeated: cloud-cpu-1"),
    ),
    "zero-gpus-in-shared-module": (
        lambda ws: ws.edit(
            "_seed.py",
            "        profile=profile,\n        command",
            "        profile=profile,\n        gpus=0,\n        command",
        ),
        None,
        1,
        ("apps/cloud_nvidia.py", "GpuJob 'nvidia-ml-training'", "gpus=0", "is not a GPU count"),
    ),
    "bad-taint-effect-in-app": (
        lambda ws: ws.edit(
            "cloud_nvidia.py",
            "CPU = gm.NodeProfile.cpu_only()\n",
            'CPU = gm.NodeProfile.cpu_only()\nTAINT = gm.Taint(key="gpu", effect="Never")\n',
        ),
        None,
        1,
        ("apps/cloud_nvidia.py", "Taint", "effect", "'Never'", "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"),
    ),
    "duplicate-object-in-namespace": (
        _dup_object,
        None,
        1,
        ("Deployment 'platform-api' in namespace 'platform'", "also defined by", "rename one of them"),
    ),
    "strict-latest-image": (
        lambda ws: None,
        ["--strict"],
        1,
        ("metal-ml-training", "'tensorflow/tensorflow:latest'", "the moving tag :latest", "pin a version tag"),
    ),
    "gitops-is-a-file": (
        lambda ws: _replace_with_file(ws.out),
        None,
        1,
        ("gitops is a file, not a directory", "--out"),
    ),
    "out-parent-missing": (lambda ws: None, ["--out-missing-parent"], 1, ("does not exist", "--out")),
    "corrupt-ownership-file": (
        lambda ws: (ws.out / ".gpumanifests.json").write_text('{"files": []}\n'),
        None,
        1,
        (".gpumanifests.json is not a gpumanifests ownership file", "restore it from git"),
    ),
    "foreign-file-at-generated-path": (
        lambda ws: (ws.out / ".gpumanifests.json").write_text('{"files": {}}\n'),
        None,
        1,
        ("refusing to overwrite files that gpumanifests did not generate", "namespace_platform.yaml", "move them away"),
    ),
    "generator-build": (
        lambda ws: ws.edit("cloud_nvidia.py", "    declare_seed_workloads(cluster, NVIDIA)\n", "    yield cluster\n"),
        None,
        1,
        ("apps/cloud_nvidia.py: build(app) is a generator or a coroutine", "declared nothing", "plain function"),
    ),
    "ownership-record-lists-an-edited-file": (
        lambda ws: (ws.out / "clusters/data-platform-local/README.md").write_text("my notes\n"),
        None,
        1,
        ("clusters/data-platform-local/README.md changed since gpumanifests wrote them", "git checkout -- FILE"),
    ),
    "ownership-record-is-a-directory": (
        lambda ws: ((ws.out / ".gpumanifests.json").unlink(), (ws.out / ".gpumanifests.json").mkdir()),
        None,
        1,
        (".gpumanifests.json, the record of the files gpumanifests generated, is not a regular file",),
    ),
    "out-is-the-apps-directory": (lambda ws: None, ["--out-is-apps"], 2, ("overlap", "must be a directory of its own")),
    "out-parent-is-a-file": (
        lambda ws: (ws.out.parent / "afile").write_text("x\n"),
        ["--out-under-a-file"],
        1,
        ("afile is a file, not a directory",),
    ),
    "unknown-flag": (lambda ws: None, ["--frobnicate"], 2, ("unrecognized arguments: --frobnicate",)),
    "unknown-command": (lambda ws: None, ["publish"], 2, ("invalid choice: 'publish'",)),
    "no-command": (lambda ws: None, [], 2, ("the following arguments are required: COMMAND",)),
    "strict-takes-no-value": (lambda ws: None, ["--strict=yes"], 2, ("--strict: ignored explicit argument 'yes'",)),
}


_OTHER_OUT: dict[str, Callable[[Workspace], Path]] = {
    "--out-missing-parent": lambda ws: ws.out.parent / "nowhere" / "gitops",
    "--out-is-apps": lambda ws: ws.apps,
    "--out-under-a-file": lambda ws: ws.out.parent / "afile" / "gitops",
}
"""Cases that synth into another --out than the workspace's tree."""


def _argv(ws: Workspace, extra: list[str] | None) -> list[str]:
    if extra is None:
        return ws.args()
    if extra and extra[0] in _OTHER_OUT:
        return ["synth", "--apps", str(ws.apps), "--out", str(_OTHER_OUT[extra[0]](ws))]
    if extra in (["--frobnicate"], ["--strict=yes"], ["--strict"]):
        return [*ws.args(), *extra]
    return extra


@pytest.mark.parametrize("case", CLI_CASES.values(), ids=CLI_CASES.keys())
def test_cli_refuses(
    case: tuple[Any, list[str] | None, int, tuple[str, ...]], ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, extra, code, expected = case
    edit(ws)
    before = _hashes(ws.out)
    argv = _argv(ws, extra)
    if code == 2 and extra != ["--out-is-apps"]:
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
    else:
        assert main(argv) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    missing = [part for part in expected if part not in captured.err]
    assert not missing, f"{missing} not in:\n{captured.err}"
    if code == 1:
        assert captured.err.startswith("error: ") or "\nerror: " in captured.err
    assert _hashes(ws.out) == before
    assert not list(ws.out.parent.glob(".gitops.staging-*"))


def test_an_app_that_changes_directory_does_not_move_the_tree(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ws.out.parent)
    ws.edit(
        "cloud_nvidia.py", '    """Declare the data-platform-cloud cluster."""\n', '    import os\n    os.chdir("/")\n'
    )
    assert main(["synth", "--apps", "apps", "--out", "gitops"]) == 0, capsys.readouterr().err
    assert Path.cwd() == ws.out.parent
    assert main(["check", "--apps", "apps", "--out", "gitops", "--no-cache"]) == 0


def test_an_app_that_prints_leaves_plan_json_parseable(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    ws.append("cloud_nvidia.py", "\nprint('loading the cloud cluster')\n")
    assert main(["plan", "data-platform-cloud", "--json", "--apps", str(ws.apps)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["clusters"][0]["cluster"] == "data-platform-cloud"
    assert "loading the cloud cluster" in captured.err


def test_synth_refuses_to_remove_a_listed_file_that_was_edited(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record that lists a user's file (its digest does not match) must not get the file deleted."""
    notes = ws.out / "clusters/data-platform-local/notes.md"
    notes.write_text("# mine\n")
    record = json.loads((ws.out / ".gpumanifests.json").read_text())
    record["files"]["clusters/data-platform-local/notes.md"] = "0" * 64
    (ws.out / ".gpumanifests.json").write_text(json.dumps(record))
    assert main(ws.args()) == 1
    assert "notes.md changed since gpumanifests wrote them" in capsys.readouterr().err
    assert notes.read_text() == "# mine\n"


def test_check_tells_a_hand_edit_from_an_app_change(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    readme = ws.out / "clusters/data-platform-local/README.md"
    readme.write_text("edited\n")
    assert main([*ws.args("check"), "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "edited by hand since the last synth: clusters/data-platform-local/README.md" in err
    assert "run `gpumanifests synth`" not in err
    readme.unlink()
    ws.append("_seed.py", "\nTEST_IMAGE = 'busybox:1.37.0'\n")
    assert main([*ws.args("check"), "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "the apps now generate a different tree: run `gpumanifests synth` and commit the result" in err
    assert "edited by hand" not in err


def test_cli_succeeds_on_the_unedited_copy(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    """The control for the cases above: the workspace itself is good."""
    before = _hashes(ws.out)
    assert main(ws.args()) == 0
    assert main(ws.args("check")) == 0
    assert _hashes(ws.out) == before
    assert "Traceback" not in capsys.readouterr().err


def test_read_only_gitops_dir(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    """Non-root: a read-only tree is refused, untouched. Root: chmod does not bind root, so synth
    goes through; the tree's mode is kept (the swap does not silently make it writable)."""
    ws.append("_seed.py", "\nTEST_IMAGE = 'busybox:1.37.0'\n")  # the synth has something to change
    before = _hashes(ws.out)
    ws.out.chmod(0o555)
    try:
        code = main(ws.args())
        err = capsys.readouterr().err
        assert "Traceback" not in err
        if os.geteuid() == 0:
            assert code == 0, err
            assert _hashes(ws.out) != before
            assert stat.S_IMODE(ws.out.stat().st_mode) == 0o555
        else:
            assert code == 1
            assert "is read-only" in err
            assert _hashes(ws.out) == before
    finally:
        ws.out.chmod(0o755)


def test_unwritable_out_parent(
    ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without write access beside the tree there is no lock and no staging: refused, untouched.
    The operating system's answer is simulated, so the check also runs as root (whom permission bits do not bind)."""
    before = _hashes(ws.out)
    real_access = os.access
    parent = ws.out.parent

    def access_denied_beside_the_tree(path: Any, mode: int, **kwargs: Any) -> bool:
        if Path(path) == parent and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access_denied_beside_the_tree)
    assert main(ws.args()) == 1
    err = capsys.readouterr().err
    assert f"{parent} is not writable" in err
    assert _hashes(ws.out) == before


def test_two_apps_dirs_in_one_process_use_their_own_shared_module(
    tmp_path: Path, good_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The loader does not reuse another apps dir's cached ``_seed`` module."""
    first = Workspace(tmp_path / "a", good_tree)
    second = Workspace(tmp_path / "b", good_tree)
    second.edit("_seed.py", 'TEST_IMAGE = "busybox:1.36.1"', 'TEST_IMAGE = "busybox:1.37.0"')
    assert main(first.args()) == 0
    assert main(second.args()) == 0
    capsys.readouterr()
    tests = "clusters/data-platform-local/test-workloads"
    [job] = (second.out / tests).glob("gpu-tests_job_cpu-test-*.yaml")
    [before] = (first.out / tests).glob("gpu-tests_job_cpu-test-*.yaml")
    assert "busybox:1.37.0" in job.read_text()
    assert "busybox:1.36.1" in before.read_text()
    assert job.name != before.name  # a run-once Job's name follows its spec
