"""The node-side scripts: ``setup-nodes.sh`` puts the model's labels and taints on existing nodes,
``verify.sh`` checks nodes, pod placement and test logs against the model (the seed's verification).
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.cluster import NodeRole
from gpumanifests._constructs.nodeconfig import label_command, taint_command
from gpumanifests._constructs.profiles import TaintEffect
from gpumanifests._kube.labels import PROFILE_LABEL
from gpumanifests._output.layout import SETUP_SCRIPT, VERIFY_SCRIPT, generated_notice
from gpumanifests.scheduling import taint_text

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster, Node
    from gpumanifests._constructs.profiles import Taint
    from gpumanifests._constructs.workloads import Workload

__all__ = ["CONTROL_PLANE_TAINT", "setup_script", "verify_script"]

# The taint kubeadm puts on control-plane nodes (kubeadm init phase mark-control-plane).
CONTROL_PLANE_TAINT = ("node-role.kubernetes.io/control-plane", TaintEffect.NO_SCHEDULE)


# -- the model, as the node side needs it ---------------------------------------------------


def _gpu_taints(cluster: Cluster) -> list[Taint]:
    """The distinct taints of the cluster's GPU profiles."""
    taints: dict[str, Taint] = {}
    for profile in cluster.gpu_profiles():
        for taint in profile.taints:
            taints.setdefault(str(taint), taint)
    return list(taints.values())


def _gpu_label_keys(cluster: Cluster) -> list[str]:
    """Every label key that some GPU profile of the cluster sets on its nodes (discovered labels are the vendor's)."""
    return sorted({key for profile in cluster.gpu_profiles() for key in profile.managed_labels})


def _stale_taints(cluster: Cluster, node: Node) -> list[str]:
    """``key:Effect`` of taints the model says ``node`` must not have but setups often leave.

    Those are the other GPU profiles' taints and, on a control plane, kubeadm's control-plane taint.
    """
    candidates = _foreign_gpu_taints(cluster, node)
    own = {(taint.key, taint.effect) for taint in node.profile.taints}
    if node.role is NodeRole.CONTROL_PLANE and CONTROL_PLANE_TAINT not in own:
        candidates.append(CONTROL_PLANE_TAINT)
    return list(dict.fromkeys(taint_text({"key": key, "effect": effect}) for key, effect in candidates))


def _foreign_gpu_taints(cluster: Cluster, node: Node) -> list[tuple[str, TaintEffect]]:
    """(key, effect) of the cluster's GPU taints that ``node``'s own profile does not carry."""
    own = {(taint.key, taint.effect) for taint in node.profile.taints}
    return [(taint.key, taint.effect) for taint in _gpu_taints(cluster) if (taint.key, taint.effect) not in own]


def _tainted_gpu_nodes(cluster: Cluster) -> list[str]:
    """The GPU nodes whose taints keep untolerating (CPU) pods off them."""
    return [
        node.name
        for node in cluster.nodes
        if node.profile.is_gpu and any(taint.blocks_scheduling() for taint in node.profile.taints)
    ]


# -- setup-nodes.sh --------------------------------------------------------------------------

_SETUP_PRELUDE = """\
set -euo pipefail

# remove_taint NODE KEY:EFFECT- removes a taint and succeeds when the node does not have it.
remove_taint() {
  local output
  if ! output=$(kubectl taint node "$1" "$2" 2>&1); then
    case "$output" in
      *"not found"*) ;;
      *) printf '%s\\n' "$output" >&2; return 1 ;;
    esac
  fi
}
"""


def setup_script(cluster: Cluster) -> str:
    """``setup-nodes.sh``: puts each node's profile labels and taints on it, and removes stale ones.

    Every mutation is idempotent (``--overwrite``, or a ``-`` removal that tolerates absence), so
    running it twice leaves the nodes as running it once does.
    """
    header = [
        "#!/usr/bin/env bash",
        f"# {generated_notice(cluster.source)}",
        "# Labels and taints every node exactly as its node profile says (the seed's node setup).",
        "# Idempotent: labels and taints are set with --overwrite and stale ones are removed only",
        f"# when present, so it can be re-run at any time. Run: bash {SETUP_SCRIPT}",
    ]
    blocks = [_setup_block(cluster, node) for node in cluster.nodes]
    return "\n".join(header) + "\n" + _SETUP_PRELUDE + "".join(f"\n{block}" for block in blocks)


def _setup_block(cluster: Cluster, node: Node) -> str:
    profile = node.profile
    lines = [f"# node {node.name} ({node.role}), profile {profile.name}: {profile.description}"]
    label = label_command(node)
    if label is not None:
        lines.append(shlex.join(["kubectl", *label]))
    if profile.discovered_labels:
        published = ", ".join(f"{key}={value}" for key, value in profile.discovered_labels.items())
        lines.append(f"# its vendor's components publish {published} (verify.sh checks them)")
    elif label is None:
        lines.append(f"# profile {profile.name} has no node labels")
    stale_labels = [key for key in _gpu_label_keys(cluster) if key not in node.labels]
    if stale_labels:
        lines.append("# drop GPU labels of other profiles (a '-' removal succeeds when absent)")
        lines.append(shlex.join(["kubectl", "label", "node", node.name, *(f"{key}-" for key in stale_labels)]))
    taint = taint_command(node)
    if taint is not None:
        lines.append(shlex.join(["kubectl", *taint]))
    else:
        lines.append(f"# profile {profile.name} has no taints: this node must stay untainted")
    for stale in _stale_taints(cluster, node):
        lines.append(shlex.join(["remove_taint", node.name, f"{stale}-"]))
    return "\n".join(lines) + "\n"


# -- verify.sh -------------------------------------------------------------------------------

_VERIFY_PRELUDE = r"""set -euo pipefail

failures=0
fail() { printf 'FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }
pass() { printf 'ok: %s\n' "$*"; }

# expect_label NODE JSONPATH-KEY KEY VALUE
expect_label() {
  local actual
  if ! actual=$(kubectl get node "$1" -o "jsonpath={.metadata.labels.$2}" 2>&1); then
    fail "node $1: cannot read label $3: $actual"
  elif [ "$actual" = "$4" ]; then
    pass "node $1 has label $3=$4"
  else
    fail "node $1: label $3 is '$actual', expected '$4'"
  fi
}

# node_taints NODE prints one key|value|effect line per taint of NODE.
node_taints() {
  kubectl get node "$1" -o 'jsonpath={range .spec.taints[*]}{.key}|{.value}|{.effect}{"\n"}{end}'
}

# expect_taint NODE KEY VALUE EFFECT
expect_taint() {
  local taints text="$2${3:+=$3}:$4"
  if ! taints=$(node_taints "$1" 2>&1); then
    fail "node $1: cannot read taints: $taints"
  elif grep -qxF -- "$2|$3|$4" <<<"$taints"; then
    pass "node $1 has taint $text"
  else
    fail "node $1: taint $text is missing"
  fi
}

# expect_no_taint NODE KEY EFFECT
expect_no_taint() {
  local taints
  if ! taints=$(node_taints "$1" 2>&1); then
    fail "node $1: cannot read taints: $taints"
  elif cut -d '|' -f 1,3 <<<"$taints" | grep -qxF -- "$2|$3"; then
    fail "node $1 has taint $2:$3 but its profile has none"
  else
    pass "node $1 has no taint $2:$3"
  fi
}

# in_list WORD LIST...
in_list() {
  local word=$1 item
  shift
  for item in "$@"; do [ "$item" = "$word" ] && return 0; done
  return 1
}

# check_placement WHAT SELECTOR MODE REQUIRED NODES...: every pod matching SELECTOR must run
# on one of NODES (MODE=in) or on none of them (MODE=out). REQUIRED=yes fails when no pod matches.
check_placement() {
  local what=$1 selector=$2 mode=$3 required=$4 pods pod node found=0
  shift 4
  if ! pods=$(kubectl get pods --all-namespaces -l "$selector" \
    -o 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.spec.nodeName}{"\n"}{end}' 2>&1); then
    fail "$what: cannot list pods: $pods"
    return
  fi
  while read -r pod node; do
    [ -n "$pod" ] || continue
    found=1
    if [ -z "$node" ]; then
      fail "$what: pod $pod is not scheduled"
    elif in_list "$node" "$@"; then
      if [ "$mode" = in ]; then pass "$what: pod $pod runs on $node"; else fail "$what: pod $pod runs on $node"; fi
    else
      if [ "$mode" = out ]; then pass "$what: pod $pod runs on $node"; else fail "$what: pod $pod runs on $node"; fi
    fi
  done <<<"$pods"
  if [ "$found" = 0 ]; then
    if [ "$required" = yes ]; then fail "$what: no pod has label $selector"; else pass "$what: no pod running now"; fi
  fi
}

# expect_log NAMESPACE SELECTOR LINE
expect_log() {
  local logs
  if ! logs=$(kubectl logs -n "$1" -l "$2" --tail=-1 2>&1); then
    fail "logs of $2 in $1: $logs"
  elif grep -qF -- "$3" <<<"$logs"; then
    pass "logs of $2 in $1 contain: $3"
  else
    fail "logs of $2 in $1 do not contain: $3"
  fi
}
"""


def verify_script(cluster: Cluster) -> str:
    """``verify.sh``: checks the live cluster against the model and exits 1 if any check fails.

    It shows the nodes' labels, checks each GPU node's profile labels and taints (and that other
    nodes carry no GPU taint), that GPU pods run on nodes of their profile and CPU pods off the
    tainted GPU nodes, and that each workload with ``verify_log`` logged its line.
    """
    header = [
        "#!/usr/bin/env bash",
        f"# {generated_notice(cluster.source)}",
        "# Verifies nodes, pod placement and test logs against the model; exits 1 on any failure.",
        f"# Run: bash {VERIFY_SCRIPT} (with kubectl pointing at the cluster)",
    ]
    sections = [
        "kubectl get nodes --show-labels\n",
        _verify_nodes(cluster),
        _verify_placement(cluster),
        _verify_logs(cluster),
        'if [ "$failures" -gt 0 ]; then\n'
        "  printf '%s check(s) failed\\n' \"$failures\" >&2\n"
        "  exit 1\n"
        "fi\n"
        "echo 'all checks passed'\n",
    ]
    return "\n".join(header) + "\n" + _VERIFY_PRELUDE + "".join(f"\n{section}" for section in sections if section)


def _jsonpath_key(key: str) -> str:
    """A label key as a JSONPath member name (dots escaped)."""
    return key.replace(".", "\\.")


def _verify_nodes(cluster: Cluster) -> str:
    """Each GPU node's profile labels and taints; no node with a GPU taint its profile lacks."""
    lines: list[str] = []
    for node in cluster.nodes:
        lines.append(f"# node {node.name}, profile {node.profile.name}")
        if node.profile.is_gpu:
            for key, value in node.labels.items():
                lines.append(shlex.join(["expect_label", node.name, _jsonpath_key(key), key, value]))
            for taint in node.profile.taints:
                lines.append(shlex.join(["expect_taint", node.name, taint.key, taint.value, str(taint.effect)]))
        for key, effect in _foreign_gpu_taints(cluster, node):
            lines.append(shlex.join(["expect_no_taint", node.name, key, str(effect)]))
    return "\n".join(lines) + "\n"


def _pod_selector(workload: Workload[Any]) -> str:
    """The label selector of a workload's pods (labels its pod template carries)."""
    return ",".join(f"{key}={value}" for key, value in workload.selector_labels().items())


def _pods_required(workloads: list[Workload[Any]]) -> str:
    """``yes`` when some workload keeps pods running (a served kind with pods); Job pods may be gone."""
    return "yes" if any(w.keeps_running and w.replicas > 0 for w in workloads) else "no"


def _verify_placement(cluster: Cluster) -> str:
    """GPU pods (by profile label) on their profile's nodes; each CPU workload's pods off tainted GPU nodes.

    CPU pods are selected per workload by their selector labels: pod templates carry those and the
    profile label, not ``app.kubernetes.io/component``.
    """
    workloads = cluster.workloads()
    lines: list[str] = []
    for profile in cluster.gpu_profiles():
        mine = [w for w in workloads if w.profile is not None and w.profile.name == profile.name]
        if mine:
            nodes = [node.name for node in cluster.nodes_of(profile)]
            what = f"{profile.name} GPU pods on {profile.name} nodes"
            selector = f"{PROFILE_LABEL}={profile.name}"
            lines.append(shlex.join(["check_placement", what, selector, "in", _pods_required(mine), *nodes]))
    forbidden = _tainted_gpu_nodes(cluster)
    for workload in workloads:
        if not workload.is_gpu:
            what = f"CPU workload {workload.name} off tainted GPU nodes"
            selector = _pod_selector(workload)
            lines.append(shlex.join(["check_placement", what, selector, "out", _pods_required([workload]), *forbidden]))
    return "".join(f"{line}\n" for line in lines)


def _verify_logs(cluster: Cluster) -> str:
    lines: list[str] = []
    for workload in cluster.workloads():
        if workload.props.verify_log is None:
            continue
        namespace = workload.component.namespace
        lines.append(shlex.join(["expect_log", namespace, _pod_selector(workload), workload.props.verify_log]))
    return "".join(f"{line}\n" for line in lines)
