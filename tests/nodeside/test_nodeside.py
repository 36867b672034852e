"""The node-side files agree with the model, and the workloads agree with the nodes.

For every GPU node of every shipped cluster, the setup script, the kind config and the Terraform
JSON carry exactly its profile's labels and taints, and the cluster's GPU workloads on that
profile require exactly those labels and tolerate exactly those taints. The scripts are run
against a fake ``kubectl`` that keeps node and pod state in a JSON file.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from ruamel.yaml import YAML

import gpumanifests as gm
from gpumanifests._constructs.workloads import Workload
from gpumanifests._kube.kinds import pod_template_of
from gpumanifests._kube.versions import release
from gpumanifests._nodeside.files import node_side_files
from gpumanifests._nodeside.scripts import CONTROL_PLANE_TAINT
from gpumanifests._synth.loader import load_apps

if TYPE_CHECKING:
    from collections.abc import Iterator

APPS = Path(__file__).resolve().parents[2] / "apps"
SETUP = "node-setup/setup-nodes.sh"
VERIFY = "node-setup/verify.sh"
KIND = "node-setup/kind-config.json"
NOTES = "node-setup/README.md"
TERRAFORM = "node-setup/kind.tf.json"


@pytest.fixture(scope="module")
def shipped() -> gm.GitOpsApp:
    """The shipped apps."""
    return load_apps(APPS)


def _gpu_nodes() -> Iterator[tuple[str, str]]:
    app = load_apps(APPS)
    for cluster in app.clusters:
        for node in cluster.nodes:
            if node.profile.is_gpu:
                yield cluster.name, node.name


GPU_NODES = list(_gpu_nodes())
CLUSTERS = sorted({cluster for cluster, _ in GPU_NODES})
LOGGING_CLUSTERS = sorted(
    cluster.name
    for cluster in load_apps(APPS).clusters
    if any(workload.props.verify_log for workload in cluster.workloads() if hasattr(workload.props, "verify_log"))
)


def _cluster(app: gm.GitOpsApp, name: str) -> gm.Cluster:
    return next(cluster for cluster in app.clusters if cluster.name == name)


def _node(cluster: gm.Cluster, name: str) -> gm.Node:
    return next(node for node in cluster.nodes if node.name == name)


def _workloads(cluster: gm.Cluster) -> list[Workload[Any]]:
    return [r for component in cluster.components for r in component.resources if isinstance(r, Workload)]


def _kind_index(cluster: gm.Cluster, node: gm.Node) -> int:
    """Where ``node`` is in the kind node list (after kind's own control plane if the model has none)."""
    offset = 0 if any(n.role is gm.NodeRole.CONTROL_PLANE for n in cluster.nodes) else 1
    return offset + list(cluster.nodes).index(node)


def _patch_taints(patches: list[str], kind: str) -> tuple[list[str], Any]:
    """register-with-taints and nodeRegistration.taints of the ``kind`` patch among ``patches``."""
    for text in patches:
        patch = YAML(typ="safe").load(text)
        if patch["kind"] == kind:
            registration = patch["nodeRegistration"]
            registered = registration.get("kubeletExtraArgs", {}).get("register-with-taints", "")
            return [t for t in registered.split(",") if t], registration.get("taints")
    return [], None


# -- the model, everywhere ---------------------------------------------------------------------


@pytest.mark.parametrize(("cluster_name", "node_name"), GPU_NODES)
def test_setup_script_sets_exactly_the_profile(shipped: gm.GitOpsApp, cluster_name: str, node_name: str) -> None:
    cluster = _cluster(shipped, cluster_name)
    node = _node(cluster, node_name)
    script = node_side_files(cluster)[SETUP].decode()
    commands = [shlex.split(line) for line in script.splitlines() if line.startswith("kubectl ")]
    labelled = [c for c in commands if c[1:4] == ["label", "node", node.name] and "--overwrite" in c]
    tainted = [c for c in commands if c[1:4] == ["taint", "node", node.name]]
    # the tree sets its own labels; the vendor's components publish the discovered ones
    assert [dict(arg.split("=", 1) for arg in command[4:-1]) for command in labelled] == (
        [node.profile.managed_labels] if node.profile.managed_labels else []
    )
    assert len(tainted) == 1
    assert tainted[0][4:-1] == [str(taint) for taint in node.profile.taints]


@pytest.mark.parametrize(("cluster_name", "node_name"), GPU_NODES)
def test_kind_config_carries_exactly_the_profile(shipped: gm.GitOpsApp, cluster_name: str, node_name: str) -> None:
    cluster = _cluster(shipped, cluster_name)
    node = _node(cluster, node_name)
    config = YAML(typ="safe").load(node_side_files(cluster)[KIND].decode())
    assert (config["kind"], config["apiVersion"], config["name"]) == ("Cluster", "kind.x-k8s.io/v1alpha4", cluster.name)
    entry = config["nodes"][_kind_index(cluster, node)]
    assert entry["role"] == str(node.role)
    assert entry["image"] == cluster.kubernetes.kind_node_image
    assert entry["labels"] == node.labels  # a kind node stands in for all of it, discovered labels included
    kind = "InitConfiguration" if node.role is gm.NodeRole.CONTROL_PLANE else "JoinConfiguration"
    registered, _ = _patch_taints(entry["kubeadmConfigPatches"], kind)
    assert registered == [str(taint) for taint in node.profile.taints]


@pytest.mark.parametrize(("cluster_name", "node_name"), GPU_NODES)
def test_terraform_carries_exactly_the_profile(shipped: gm.GitOpsApp, cluster_name: str, node_name: str) -> None:
    cluster = _cluster(shipped, cluster_name)
    node = _node(cluster, node_name)
    document = json.loads(node_side_files(cluster)[TERRAFORM])
    assert document["terraform"]["required_providers"]["kind"]["source"] == "tehcyx/kind"
    (resource,) = document["resource"]["kind_cluster"].values()
    assert resource["name"] == cluster.name
    assert resource["node_image"] == cluster.kubernetes.kind_node_image
    kind_config = resource["kind_config"]
    assert (kind_config["kind"], kind_config["api_version"]) == ("Cluster", "kind.x-k8s.io/v1alpha4")
    entry = kind_config["node"][_kind_index(cluster, node)]
    assert entry["role"] == str(node.role)
    assert entry["labels"] == node.labels  # a kind node stands in for all of it, discovered labels included
    kind = "InitConfiguration" if node.role is gm.NodeRole.CONTROL_PLANE else "JoinConfiguration"
    registered, _ = _patch_taints(entry["kubeadm_config_patches"], kind)
    assert registered == [str(taint) for taint in node.profile.taints]


@pytest.mark.parametrize(("cluster_name", "node_name"), GPU_NODES)
def test_gpu_workloads_require_and_tolerate_exactly_the_node(
    shipped: gm.GitOpsApp, cluster_name: str, node_name: str
) -> None:
    cluster = _cluster(shipped, cluster_name)
    node = _node(cluster, node_name)
    mine = [w for w in _workloads(cluster) if w.role == "gpu-workload" and w.props.profile == node.profile]
    assert mine, f"no GPU workload on profile {node.profile.name}"
    for workload in mine:
        spec = workload.pod_template_spec()
        terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert len(terms) == 1
        required = {}
        for expression in terms[0]["matchExpressions"]:
            assert expression["operator"] == "In"
            assert len(expression["values"]) == 1
            required[expression["key"]] = expression["values"][0]
        assert required == node.profile.node_labels  # its settings configure the node; nothing selects on them
        assert required.items() <= node.labels.items()
        tolerations = [gm.Toleration(**entry) for entry in spec.get("tolerations", [])]
        taints = list(node.profile.taints)
        assert all(any(t.tolerates(taint) for t in tolerations) for taint in taints)
        assert all(any(t.tolerates(taint) for taint in taints) for t in tolerations)
        assert len(tolerations) == len(taints)


@pytest.mark.parametrize("cluster_name", CLUSTERS)
def test_control_plane_in_kind(shipped: gm.GitOpsApp, cluster_name: str) -> None:
    cluster = _cluster(shipped, cluster_name)
    config = YAML(typ="safe").load(node_side_files(cluster)[KIND].decode())
    assert [n["role"] for n in config["nodes"]].count("control-plane") >= 1
    for node in cluster.nodes:
        if node.role is gm.NodeRole.CONTROL_PLANE:
            entry = config["nodes"][_kind_index(cluster, node)]
            _, taints = _patch_taints(entry["kubeadmConfigPatches"], "InitConfiguration")
            assert taints == [taint.to_dict() for taint in node.profile.taints]


def test_seed_control_plane_stays_untainted(shipped: gm.GitOpsApp) -> None:
    files = node_side_files(_cluster(shipped, "data-platform-local"))
    config = YAML(typ="safe").load(files[KIND].decode())
    control_plane = config["nodes"][0]
    assert control_plane["role"] == "control-plane"
    assert "labels" not in control_plane
    assert _patch_taints(control_plane["kubeadmConfigPatches"], "InitConfiguration") == ([], [])
    assert "scheduling stand-in" in files[NOTES].decode()
    assert "Metal" in files[NOTES].decode()


@pytest.mark.parametrize("version", gm.SUPPORTED_KUBERNETES_VERSIONS)
def test_kind_image_matches_kubernetes_version(version: str) -> None:
    image = release(version).kind_node_image
    assert image.startswith(f"kindest/node:v{version}.")
    assert "@sha256:" in image


@pytest.mark.parametrize("cluster_name", CLUSTERS)
def test_files_are_deterministic(shipped: gm.GitOpsApp, cluster_name: str) -> None:
    cluster = _cluster(shipped, cluster_name)
    files = node_side_files(cluster)
    assert files == node_side_files(cluster)
    assert sorted(files) == sorted([SETUP, VERIFY, KIND, TERRAFORM, NOTES])
    for content in files.values():
        assert content.endswith(b"\n")
    for path in (KIND, TERRAFORM):
        assert files[path].decode() == json.dumps(json.loads(files[path]), indent=2, sort_keys=True) + "\n"


# -- the scripts -------------------------------------------------------------------------------


@pytest.mark.parametrize("cluster_name", CLUSTERS)
@pytest.mark.parametrize("script", [SETUP, VERIFY])
def test_scripts_parse(shipped: gm.GitOpsApp, tmp_path: Path, cluster_name: str, script: str) -> None:
    path = tmp_path / "script.sh"
    path.write_bytes(node_side_files(_cluster(shipped, cluster_name))[script])
    subprocess.run(["bash", "-n", str(path)], check=True)
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in path.read_text()


@pytest.mark.parametrize("cluster_name", CLUSTERS)
def test_setup_mutations_are_idempotent(shipped: gm.GitOpsApp, cluster_name: str) -> None:
    script = node_side_files(_cluster(shipped, cluster_name))[SETUP].decode()
    mutations = [shlex.split(line) for line in script.splitlines() if line.startswith(("kubectl ", "remove_taint "))]
    assert mutations
    for command in mutations:
        if command[0] == "remove_taint":
            assert command[2].endswith("-"), command
        elif "--overwrite" not in command:
            assert all(arg.endswith("-") for arg in command[4:]), command


FAKE_KUBECTL = r"""
import json, os, sys

STATE = os.environ["FAKE_KUBECTL_STATE"]
with open(os.environ["FAKE_KUBECTL_CALLS"], "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\n")
with open(STATE) as f:
    state = json.load(f)
args = sys.argv[1:]


def option(name):
    for i, arg in enumerate(args):
        if arg == name:
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def node(name):
    if name not in state["nodes"]:
        sys.exit(f'Error from server (NotFound): nodes "{name}" not found')
    return state["nodes"][name]


def matches(labels, selector):
    return all(labels.get(k) == v for k, v in (term.split("=", 1) for term in selector.split(",")))


def save():
    with open(STATE, "w") as f:
        json.dump(state, f)


if args[:2] == ["get", "nodes"]:
    for name, n in state["nodes"].items():
        print(name, ",".join(f"{k}={v}" for k, v in n["labels"].items()))
elif args[:2] == ["get", "node"]:
    n = node(args[2])
    expr = option("-o").removeprefix("jsonpath=")
    if expr.startswith("{.metadata.labels."):
        sys.stdout.write(n["labels"].get(expr[len("{.metadata.labels."):-1].replace("\\.", "."), ""))
    elif ".spec.taints" in expr:
        for t in n["taints"]:
            print(f"{t['key']}|{t.get('value', '')}|{t['effect']}")
    else:
        sys.exit(f"fake kubectl: unsupported jsonpath {expr}")
elif args[:2] == ["get", "pods"]:
    for pod in state["pods"]:
        if matches(pod["labels"], option("-l")):
            print(f"{pod['namespace']}/{pod['name']} {pod['node']}")
elif args[0] == "logs":
    for pod in state["pods"]:
        if pod["namespace"] == option("-n") and matches(pod["labels"], option("-l")):
            print(pod["log"])
elif args[:2] == ["label", "node"]:
    n = node(args[2])
    for arg in args[3:]:
        if arg == "--overwrite":
            continue
        if arg.endswith("-"):
            if n["labels"].pop(arg[:-1], None) is None:
                print(f'label "{arg[:-1]}" not found.')
            continue
        key, value = arg.split("=", 1)
        if key in n["labels"] and n["labels"][key] != value and "--overwrite" not in args:
            sys.exit(f"error: '{key}' already has a value ({n['labels'][key]}), and --overwrite is false")
        n["labels"][key] = value
    save()
elif args[:2] == ["taint", "node"]:
    n = node(args[2])
    for arg in args[3:]:
        if arg == "--overwrite":
            continue
        key_value, effect = arg.rsplit(":", 1)
        key, _, value = key_value.partition("=")
        if effect.endswith("-"):
            kept = [t for t in n["taints"] if (t["key"], t["effect"]) != (key, effect[:-1])]
            if len(kept) == len(n["taints"]):
                sys.exit(f'error: taint "{key}:{effect[:-1]}" not found')
            n["taints"] = kept
            continue
        existing = [t for t in n["taints"] if (t["key"], t["effect"]) == (key, effect)]
        if existing and "--overwrite" not in args:
            sys.exit(f"error: node {args[2]} already has {key} taint(s) with same effect(s) and --overwrite is false")
        n["taints"] = [t for t in n["taints"] if (t["key"], t["effect"]) != (key, effect)]
        n["taints"].append({"key": key, "effect": effect, **({"value": value} if value else {})})
    save()
else:
    sys.exit(f"fake kubectl: unsupported {args}")
"""


class FakeCluster:
    """A directory with a fake ``kubectl`` whose nodes and pods live in ``state.json``."""

    def __init__(self, root: Path, state: dict[str, Any]) -> None:
        self.root = root
        bin_dir = root / "bin"
        bin_dir.mkdir()
        kubectl = bin_dir / "kubectl"
        kubectl.write_text(f"#!{sys.executable}\n{FAKE_KUBECTL}")
        kubectl.chmod(0o755)
        self.state_file = root / "state.json"
        self.calls_file = root / "calls.jsonl"
        self.calls_file.write_text("")
        self.state = state
        self.env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_KUBECTL_STATE": str(self.state_file),
            "FAKE_KUBECTL_CALLS": str(self.calls_file),
        }

    @property
    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    @state.setter
    def state(self, value: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(value))

    def run(self, content: bytes) -> subprocess.CompletedProcess[str]:
        script = self.root / "script.sh"
        script.write_bytes(content)
        return subprocess.run(["bash", str(script)], env=self.env, capture_output=True, text=True, check=False)

    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.calls_file.read_text().splitlines()]


def _model_state(cluster: gm.Cluster) -> dict[str, Any]:
    """Nodes as the model says, and one pod per workload placed where the model puts it."""
    nodes = {
        node.name: {"labels": dict(node.labels), "taints": [t.to_dict() for t in node.profile.taints]}
        for node in cluster.nodes
    }
    untainted = [node.name for node in cluster.nodes if not node.profile.taints]
    pods = []
    for workload in _workloads(cluster):
        gpu = workload.role == "gpu-workload"
        placed = cluster.nodes_of(workload.props.profile)[0].name if gpu else untainted[0]
        manifest = workload.render()[0].manifest
        pods.append(
            {
                "namespace": workload.component.namespace,
                "name": f"{workload.name}-0",
                "labels": pod_template_of(manifest)["metadata"]["labels"],  # type: ignore[index]
                "node": placed,
                "log": workload.props.verify_log or "",
            }
        )
    return {"nodes": nodes, "pods": pods}


@pytest.mark.parametrize("cluster_name", CLUSTERS)
def test_verify_passes_on_the_model(shipped: gm.GitOpsApp, tmp_path: Path, cluster_name: str) -> None:
    cluster = _cluster(shipped, cluster_name)
    fake = FakeCluster(tmp_path, _model_state(cluster))
    result = fake.run(node_side_files(cluster)[VERIFY])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    assert ["get", "nodes", "--show-labels"] in fake.calls()
    assert not any(call[0] in {"label", "taint"} for call in fake.calls())


@pytest.mark.parametrize(("cluster_name", "node_name"), GPU_NODES)
def test_verify_fails_when_a_label_is_missing(
    shipped: gm.GitOpsApp, tmp_path: Path, cluster_name: str, node_name: str
) -> None:
    cluster = _cluster(shipped, cluster_name)
    state = _model_state(cluster)
    missing = sorted(state["nodes"][node_name]["labels"])[0]
    del state["nodes"][node_name]["labels"][missing]
    fake = FakeCluster(tmp_path, state)
    result = fake.run(node_side_files(cluster)[VERIFY])
    assert result.returncode == 1
    assert f"FAIL: node {node_name}: label {missing} is ''" in result.stderr
    assert result.stderr.count("FAIL:") == 1


@pytest.mark.parametrize("cluster_name", CLUSTERS)
def test_verify_fails_on_a_cpu_pod_on_a_gpu_node(shipped: gm.GitOpsApp, tmp_path: Path, cluster_name: str) -> None:
    cluster = _cluster(shipped, cluster_name)
    state = _model_state(cluster)
    gpu_node = next(node.name for node in cluster.nodes if node.profile.taints)
    cpu_pod = next(pod for pod in state["pods"] if "gpumanifests.io/profile" not in pod["labels"])
    cpu_pod["node"] = gpu_node
    result = FakeCluster(tmp_path, state).run(node_side_files(cluster)[VERIFY])
    assert result.returncode == 1
    assert f"pod {cpu_pod['namespace']}/{cpu_pod['name']} runs on {gpu_node}" in result.stderr


@pytest.mark.parametrize("cluster_name", LOGGING_CLUSTERS)
def test_verify_fails_on_a_missing_log_line(shipped: gm.GitOpsApp, tmp_path: Path, cluster_name: str) -> None:
    cluster = _cluster(shipped, cluster_name)
    state = _model_state(cluster)
    logged = next(pod for pod in state["pods"] if pod["log"])
    logged["log"] = "something else"
    result = FakeCluster(tmp_path, state).run(node_side_files(cluster)[VERIFY])
    assert result.returncode == 1
    assert f"do not contain: {next(w.props.verify_log for w in _workloads(cluster) if w.props.verify_log)}" in (
        result.stderr
    )


@pytest.mark.parametrize("cluster_name", CLUSTERS)
def test_setup_converges_nodes_to_the_model_and_is_rerunnable(
    shipped: gm.GitOpsApp, tmp_path: Path, cluster_name: str
) -> None:
    cluster = _cluster(shipped, cluster_name)
    model = _model_state(cluster)
    # before setup, a node has only what its vendor's components publish
    published = {
        node.name: {key: value for key, value in node.labels.items() if key not in node.profile.managed_labels}
        for node in cluster.nodes
    }
    blank: dict[str, Any] = {"nodes": {name: {"labels": published[name], "taints": []} for name in model["nodes"]}}
    blank["pods"] = []
    # a stale setup: a GPU label the tree sets and a GPU taint on a CPU node, kubeadm's taint on the control plane
    gpu_taint = next(taint for profile in cluster.gpu_profiles() for taint in profile.taints)
    stale = [sorted(profile.managed_labels.items())[0] for profile in cluster.gpu_profiles() if profile.managed_labels]
    for node in cluster.nodes:
        if not node.profile.is_gpu:
            blank["nodes"][node.name]["labels"] = dict(stale[:1])
            blank["nodes"][node.name]["taints"] = [gpu_taint.to_dict()]
        if node.role is gm.NodeRole.CONTROL_PLANE:
            key, effect = CONTROL_PLANE_TAINT
            blank["nodes"][node.name]["taints"].append({"key": key, "effect": str(effect)})
    fake = FakeCluster(tmp_path, blank)
    setup = node_side_files(cluster)[SETUP]
    first = fake.run(setup)
    assert first.returncode == 0, first.stdout + first.stderr
    assert fake.state["nodes"] == model["nodes"]
    second = fake.run(setup)
    assert second.returncode == 0, second.stdout + second.stderr
    assert fake.state["nodes"] == model["nodes"]
    fake.state = {**fake.state, "pods": model["pods"]}
    verified = fake.run(node_side_files(cluster)[VERIFY])
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_further_control_planes_join_and_keep_exactly_their_profile_taints() -> None:
    app = gm.GitOpsApp()
    cpu = gm.NodeProfile.cpu_only()
    cluster = gm.Cluster(
        app,
        "9ha",
        nodes=[
            gm.Node(name="cp-1", role=gm.NodeRole.CONTROL_PLANE, profile=cpu),
            gm.Node(name="cp-2", role=gm.NodeRole.CONTROL_PLANE, profile=cpu),
        ],
        repo=gm.GitRepo(url="https://git.example.com/platform/gitops.git"),
    )
    files = node_side_files(cluster)
    first, second = json.loads(files[KIND])["nodes"]
    assert _patch_taints(first["kubeadmConfigPatches"], "InitConfiguration") == ([], [])
    assert _patch_taints(second["kubeadmConfigPatches"], "JoinConfiguration") == ([], [])
    assert list(json.loads(files[TERRAFORM])["resource"]["kind_cluster"]) == ["cluster_9ha"]
