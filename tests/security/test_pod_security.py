"""The committed gitops/ tree against the Pod Security Standards, read off the PSS page.

Each control of https://kubernetes.io/docs/concepts/security/pod-security-standards/ (Kubernetes
v1.33) is its own small function over a PodSpec dict (plus the pod template's metadata, for the
annotation-based controls): it returns the violations it finds, as strings naming the field. The
evaluator is written from the page, not from gpumanifests' defaults, so a regression in
``_pod.py`` shows up as a named control failing. Every pod template of every workload kind under
``gitops/`` (constructs and raw objects alike) must pass all baseline and restricted controls unless
it carries the ``gpumanifests.io/security-opt-out`` annotation (then it must still pass baseline).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from ruamel.yaml import YAML

import gpumanifests as gm
from gpumanifests._kube.labels import OPT_OUT_ANNOTATION

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

GITOPS = Path(__file__).resolve().parents[2] / "gitops"

Pod = dict[str, Any]


# -- the PodSpec walkers -------------------------------------------------------------------


def _containers(spec: Pod) -> Iterator[tuple[str, dict[str, Any]]]:
    """containers[*], initContainers[*] and ephemeralContainers[*], with their field paths."""
    for field in ("containers", "initContainers", "ephemeralContainers"):
        for index, container in enumerate(spec.get(field) or []):
            yield f"spec.{field}[{index}]", container


def _sc(container: dict[str, Any]) -> dict[str, Any]:
    return container.get("securityContext") or {}


def _pod_sc(spec: Pod) -> dict[str, Any]:
    return spec.get("securityContext") or {}


# -- Baseline -----------------------------------------------------------------------------

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
RESTRICTED_VOLUME_SOURCES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)


def host_process(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """HostProcess: windowsOptions.hostProcess undefined or false, pod and containers."""
    found = []
    if (_pod_sc(spec).get("windowsOptions") or {}).get("hostProcess"):
        found.append("spec.securityContext.windowsOptions.hostProcess")
    for where, container in _containers(spec):
        if (_sc(container).get("windowsOptions") or {}).get("hostProcess"):
            found.append(f"{where}.securityContext.windowsOptions.hostProcess")
    return found


def host_namespaces(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Host Namespaces: hostNetwork, hostPID, hostIPC undefined or false."""
    return [f"spec.{field}" for field in ("hostNetwork", "hostPID", "hostIPC") if spec.get(field)]


def privileged(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Privileged Containers: securityContext.privileged undefined or false."""
    return [f"{where}.securityContext.privileged" for where, c in _containers(spec) if _sc(c).get("privileged")]


def baseline_capabilities(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Capabilities (baseline): add only from the default set."""
    return [
        f"{where}.securityContext.capabilities.add={cap}"
        for where, c in _containers(spec)
        for cap in (_sc(c).get("capabilities") or {}).get("add") or []
        if cap not in BASELINE_CAPABILITIES
    ]


def host_path_volumes(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """HostPath Volumes: spec.volumes[*].hostPath undefined."""
    return [f"spec.volumes[{i}].hostPath" for i, volume in enumerate(spec.get("volumes") or []) if "hostPath" in volume]


def host_ports(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Host Ports: ports[*].hostPort undefined or 0."""
    return [
        f"{where}.ports[{i}].hostPort"
        for where, c in _containers(spec)
        for i, port in enumerate(c.get("ports") or [])
        if port.get("hostPort", 0) != 0
    ]


def apparmor(spec: Pod, meta: dict[str, Any]) -> list[str]:
    """AppArmor: profile type undefined, RuntimeDefault or Localhost; annotations runtime/default or localhost/*."""
    found = []
    profiles = [("spec.securityContext", _pod_sc(spec).get("appArmorProfile"))]
    profiles += [(f"{where}.securityContext", _sc(c).get("appArmorProfile")) for where, c in _containers(spec)]
    for where, profile in profiles:
        if profile is not None and profile.get("type") not in {"RuntimeDefault", "Localhost"}:
            found.append(f"{where}.appArmorProfile.type={profile.get('type')}")
    for key, value in (meta.get("annotations") or {}).items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
            value == "runtime/default" or str(value).startswith("localhost/")
        ):
            found.append(f"metadata.annotations[{key}]={value}")
    return found


def selinux(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """SELinux: seLinuxOptions.type one of the container types; user and role undefined or empty."""
    found = []
    contexts = [("spec.securityContext", _pod_sc(spec))]
    contexts += [(f"{where}.securityContext", _sc(c)) for where, c in _containers(spec)]
    for where, context in contexts:
        options = context.get("seLinuxOptions") or {}
        if options.get("type", "") not in SELINUX_TYPES:
            found.append(f"{where}.seLinuxOptions.type={options['type']}")
        found.extend(f"{where}.seLinuxOptions.{field}" for field in ("user", "role") if options.get(field))
    return found


def proc_mount(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """/proc Mount Type: procMount undefined or Default."""
    return [
        f"{where}.securityContext.procMount"
        for where, c in _containers(spec)
        if _sc(c).get("procMount", "Default") != "Default"
    ]


def baseline_seccomp(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Seccomp (baseline): seccompProfile.type not Unconfined, pod and containers."""
    found = []
    if (_pod_sc(spec).get("seccompProfile") or {}).get("type") == "Unconfined":
        found.append("spec.securityContext.seccompProfile.type")
    for where, c in _containers(spec):
        if (_sc(c).get("seccompProfile") or {}).get("type") == "Unconfined":
            found.append(f"{where}.securityContext.seccompProfile.type")
    return found


def sysctls(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Sysctls: only the safe subset."""
    return [
        f"spec.securityContext.sysctls[{s.get('name')}]"
        for s in _pod_sc(spec).get("sysctls") or []
        if s.get("name") not in SAFE_SYSCTLS
    ]


# -- Restricted ---------------------------------------------------------------------------


def volume_types(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Volume Types: only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret."""
    found = []
    for i, volume in enumerate(spec.get("volumes") or []):
        sources = set(volume) - {"name"}
        found.extend(f"spec.volumes[{i}].{source}" for source in sorted(sources - RESTRICTED_VOLUME_SOURCES))
    return found


def privilege_escalation(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Privilege Escalation: allowPrivilegeEscalation must be false (undefined is not allowed)."""
    return [
        f"{where}.securityContext.allowPrivilegeEscalation"
        for where, c in _containers(spec)
        if _sc(c).get("allowPrivilegeEscalation") is not False
    ]


def running_as_non_root(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Running as Non-root: runAsNonRoot true at pod level, or at every container; never false."""
    found = []
    pod_level = _pod_sc(spec).get("runAsNonRoot")
    if pod_level is False:
        found.append("spec.securityContext.runAsNonRoot=false")
    for where, c in _containers(spec):
        value = _sc(c).get("runAsNonRoot")
        if value is False or (value is None and pod_level is not True):
            found.append(f"{where}.securityContext.runAsNonRoot={value}")
    return found


def running_as_non_root_user(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Running as Non-root user: runAsUser undefined or non-zero, pod and containers."""
    found = []
    if _pod_sc(spec).get("runAsUser") == 0:
        found.append("spec.securityContext.runAsUser=0")
    found.extend(
        f"{where}.securityContext.runAsUser=0" for where, c in _containers(spec) if _sc(c).get("runAsUser") == 0
    )
    return found


def restricted_seccomp(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Seccomp (restricted): RuntimeDefault or Localhost, at pod level or at every container."""
    allowed = {"RuntimeDefault", "Localhost"}
    pod_type = (_pod_sc(spec).get("seccompProfile") or {}).get("type")
    found = [] if pod_type in allowed or pod_type is None else [f"spec.securityContext.seccompProfile.type={pod_type}"]
    for where, c in _containers(spec):
        container_type = (_sc(c).get("seccompProfile") or {}).get("type")
        if container_type is None and pod_type in allowed:
            continue
        if container_type not in allowed:
            found.append(f"{where}.securityContext.seccompProfile.type={container_type}")
    return found


def restricted_capabilities(spec: Pod, _meta: dict[str, Any]) -> list[str]:
    """Capabilities (restricted): drop must include ALL; add only NET_BIND_SERVICE."""
    found = []
    for where, c in _containers(spec):
        capabilities = _sc(c).get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            found.append(f"{where}.securityContext.capabilities.drop lacks ALL")
        found.extend(
            f"{where}.securityContext.capabilities.add={cap}"
            for cap in capabilities.get("add") or []
            if cap != "NET_BIND_SERVICE"
        )
    return found


BASELINE = (
    host_process,
    host_namespaces,
    privileged,
    baseline_capabilities,
    host_path_volumes,
    host_ports,
    apparmor,
    selinux,
    proc_mount,
    baseline_seccomp,
    sysctls,
)
RESTRICTED = (
    *BASELINE,
    volume_types,
    privilege_escalation,
    running_as_non_root,
    running_as_non_root_user,
    restricted_seccomp,
    restricted_capabilities,
)


def evaluate(level: str, spec: Pod, meta: dict[str, Any] | None = None) -> dict[str, list[str]]:
    """Violations by control name (empty when the pod is admitted at ``level``)."""
    controls = {"baseline": BASELINE, "restricted": RESTRICTED}[level]
    results = {control.__name__: control(spec, meta or {}) for control in controls}
    return {name: found for name, found in results.items() if found}


# -- the evaluator itself ------------------------------------------------------------------

GOOD_POD: Pod = {
    "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "c",
            "image": "busybox:1.36.1",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        }
    ],
    "volumes": [{"name": "tmp", "emptyDir": {}}],
}


def _with(path: str, value: Any) -> Pod:
    """GOOD_POD with one field set; ``path`` is dotted, ``0`` indexes a list."""
    pod = copy.deepcopy(GOOD_POD)
    *parents, last = path.split(".")
    node: Any = pod
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    node[last] = value
    return pod


@pytest.mark.parametrize(
    ("control", "pod", "level"),
    [
        ("host_process", _with("securityContext.windowsOptions.hostProcess", True), "baseline"),
        ("host_namespaces", _with("hostNetwork", True), "baseline"),
        ("host_namespaces", _with("hostPID", True), "baseline"),
        ("host_namespaces", _with("hostIPC", True), "baseline"),
        ("privileged", _with("containers.0.securityContext.privileged", True), "baseline"),
        ("baseline_capabilities", _with("containers.0.securityContext.capabilities.add", ["SYS_ADMIN"]), "baseline"),
        ("host_path_volumes", _with("volumes", [{"name": "h", "hostPath": {"path": "/"}}]), "baseline"),
        ("host_ports", _with("containers.0.ports", [{"containerPort": 80, "hostPort": 80}]), "baseline"),
        ("apparmor", _with("securityContext.appArmorProfile", {"type": "Unconfined"}), "baseline"),
        ("selinux", _with("securityContext.seLinuxOptions", {"type": "spc_t"}), "baseline"),
        ("selinux", _with("containers.0.securityContext.seLinuxOptions", {"user": "root"}), "baseline"),
        ("proc_mount", _with("containers.0.securityContext.procMount", "Unmasked"), "baseline"),
        ("baseline_seccomp", _with("securityContext.seccompProfile", {"type": "Unconfined"}), "baseline"),
        ("sysctls", _with("securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}]), "baseline"),
        ("volume_types", _with("volumes", [{"name": "n", "nfs": {"server": "s", "path": "/"}}]), "restricted"),
        ("privilege_escalation", _with("containers.0.securityContext.allowPrivilegeEscalation", True), "restricted"),
        ("running_as_non_root", _with("securityContext.runAsNonRoot", False), "restricted"),
        ("running_as_non_root_user", _with("containers.0.securityContext.runAsUser", 0), "restricted"),
        ("restricted_seccomp", _with("securityContext.seccompProfile", {}), "restricted"),
        (
            "restricted_capabilities",
            _with("containers.0.securityContext.capabilities", {"drop": ["NET_RAW"]}),
            "restricted",
        ),
        (
            "restricted_capabilities",
            _with("containers.0.securityContext.capabilities.add", ["CHOWN"]),
            "restricted",
        ),
    ],
)
def test_each_control_catches_its_violation(control: str, pod: Pod, level: str) -> None:
    assert evaluate("restricted", GOOD_POD) == {}
    violations = evaluate(level, pod)
    assert control in violations, violations


def test_annotation_based_apparmor_is_checked() -> None:
    meta = {"annotations": {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}}
    assert "apparmor" in evaluate("baseline", GOOD_POD, meta)
    assert (
        evaluate(
            "baseline",
            GOOD_POD,
            {"annotations": {"container.apparmor.security.beta.kubernetes.io/c": "runtime/default"}},
        )
        == {}
    )


def test_net_bind_service_is_the_one_capability_restricted_allows() -> None:
    assert evaluate("restricted", _with("containers.0.securityContext.capabilities.add", ["NET_BIND_SERVICE"])) == {}


# -- the committed tree --------------------------------------------------------------------


def _documents() -> list[tuple[Path, dict[str, Any]]]:
    yaml = YAML(typ="safe")
    docs = []
    for path in sorted(GITOPS.rglob("*.yaml")):
        docs.extend((path, doc) for doc in yaml.load_all(path.read_text(encoding="utf-8")) if doc)
    return docs


DOCUMENTS = _documents()
PODS = [
    (path, doc)
    for path, doc in DOCUMENTS
    if doc.get("kind") in {"Job", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "CronJob"}
]


def _template(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template: dict[str, Any] = spec["template"]
    return template


def _id(item: tuple[Path, dict[str, Any]]) -> str:
    return item[0].relative_to(GITOPS).as_posix()


def test_the_tree_has_workloads() -> None:
    assert GITOPS.is_dir(), "run `gpumanifests synth` first"
    kinds = {doc["kind"] for _, doc in PODS}
    assert {"Job", "Deployment"} <= kinds
    assert len(PODS) >= 10


@pytest.mark.parametrize("item", PODS, ids=_id)
def test_pod_templates_meet_the_restricted_profile(item: tuple[Path, dict[str, Any]]) -> None:
    _, doc = item
    template = _template(doc)
    meta = template.get("metadata") or {}
    opted_out = OPT_OUT_ANNOTATION in (meta.get("annotations") or {})
    assert evaluate("baseline", template["spec"], meta) == {}
    if not opted_out:
        assert evaluate("restricted", template["spec"], meta) == {}


@pytest.mark.parametrize("item", PODS, ids=_id)
def test_every_container_has_requests_and_limits(item: tuple[Path, dict[str, Any]]) -> None:
    for where, container in _containers(_template(item[1])["spec"]):
        resources = container.get("resources") or {}
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                assert resource in (resources.get(kind) or {}), f"{where} has no {kind}.{resource}"


@pytest.mark.parametrize("item", PODS, ids=_id)
def test_read_only_root_and_writable_tmp(item: tuple[Path, dict[str, Any]]) -> None:
    template = _template(item[1])
    spec = template["spec"]
    opt_out = (template.get("metadata") or {}).get("annotations", {}).get(OPT_OUT_ANNOTATION, "")
    empty_dirs = {volume["name"] for volume in spec.get("volumes") or [] if "emptyDir" in volume}
    for where, container in _containers(spec):
        if "writable-root-filesystem" not in opt_out:
            assert _sc(container).get("readOnlyRootFilesystem") is True, where
        tmp = [mount for mount in container.get("volumeMounts") or [] if mount["mountPath"] == "/tmp"]
        assert len(tmp) == 1, f"{where} has no /tmp mount"
        assert tmp[0]["name"] in empty_dirs, f"{where}: /tmp is not an emptyDir"
        assert not tmp[0].get("readOnly", False), f"{where}: /tmp is read-only"


def _bound_accounts(cluster: Path) -> set[tuple[str, str]]:
    """(namespace, name) of every ServiceAccount a (Cluster)RoleBinding of the cluster names."""
    return {
        (subject.get("namespace", doc["metadata"].get("namespace", "")), subject["name"])
        for path, doc in DOCUMENTS
        if path.is_relative_to(cluster) and doc["kind"] in {"RoleBinding", "ClusterRoleBinding"}
        for subject in doc.get("subjects") or []
        if subject["kind"] == "ServiceAccount"
    }


@pytest.mark.parametrize("item", PODS, ids=_id)
def test_service_account_token_only_for_rbac_bound_accounts(item: tuple[Path, dict[str, Any]]) -> None:
    path, doc = item
    spec = _template(doc)["spec"]
    cluster = GITOPS / "clusters" / path.relative_to(GITOPS / "clusters").parts[0]
    account = spec.get("serviceAccountName")
    if account is not None and (doc["metadata"]["namespace"], account) in _bound_accounts(cluster):
        return
    assert spec.get("automountServiceAccountToken") is False


def test_every_namespace_enforces_a_pod_security_level() -> None:
    namespaces = [(path, doc) for path, doc in DOCUMENTS if doc["kind"] == "Namespace"]
    assert namespaces
    for path, doc in namespaces:
        labels = doc["metadata"].get("labels") or {}
        assert labels.get("pod-security.kubernetes.io/enforce") in {"baseline", "restricted"}, path


def test_every_namespace_with_workloads_is_restricted_unless_a_pod_opted_out_of_non_root() -> None:
    for path, doc in DOCUMENTS:
        if doc["kind"] != "Namespace":
            continue
        name = doc["metadata"]["name"]
        root = [
            pod
            for pod_path, pod in PODS
            if pod_path.parent == path.parent
            and pod["metadata"]["namespace"] == name
            and "run-as-root"
            in (_template(pod).get("metadata") or {}).get("annotations", {}).get(OPT_OUT_ANNOTATION, "")
        ]
        expected = "baseline" if root else "restricted"
        assert doc["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == expected, path


def test_generated_rbac_grants_only_get_and_patch_on_named_nodes() -> None:
    roles = [(path, doc) for path, doc in DOCUMENTS if doc["kind"] in {"Role", "ClusterRole"}]
    assert roles
    for path, doc in roles:
        for rule in doc["rules"]:
            assert rule["apiGroups"] == [""], path
            assert rule["resources"] == ["nodes"], path
            assert set(rule["verbs"]) <= {"get", "patch"}, path
            assert rule.get("resourceNames"), f"{path}: a rule without resourceNames grants every node"
            assert "*" not in rule["resourceNames"], path
            assert "nonResourceURLs" not in rule, path
    bindings = [doc for _, doc in DOCUMENTS if doc["kind"] in {"RoleBinding", "ClusterRoleBinding"}]
    for doc in bindings:
        assert doc["roleRef"]["name"] not in {"cluster-admin", "admin", "edit"}
        assert all(subject["kind"] == "ServiceAccount" for subject in doc["subjects"])


def test_rbac_node_names_are_the_nodes_the_labeller_touches() -> None:
    for path, doc in DOCUMENTS:
        if doc["kind"] != "ClusterRole":
            continue
        names = set(doc["rules"][0]["resourceNames"])
        job = next(pod for pod_path, pod in PODS if pod_path.parent == path.parent and pod["kind"] == "Job")
        touched = {c["command"][3] for c in _template(job)["spec"]["initContainers"]}
        assert touched == names


# -- opt-outs and image pinning, through the API ---------------------------------------------


def _synth_files(app: gm.GitOpsApp) -> dict[str, dict[str, Any]]:
    yaml = YAML(typ="safe")
    return {path: yaml.load(content) for path, content in gm.synthesize(app).files.items() if path.endswith(".yaml")}


def _one(files: dict[str, dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """The object of ``kind`` that workload or object ``name`` rendered (a run-once Job's name adds a digest)."""
    (doc,) = [
        doc
        for doc in files.values()
        if doc["kind"] == kind and name in (doc["metadata"]["name"], doc["metadata"]["name"].rpartition("-")[0])
    ]
    return doc


def test_run_as_root_opt_out_is_annotated_and_drops_the_namespace_to_baseline(
    app: gm.GitOpsApp, cluster: Callable[..., gm.Cluster]
) -> None:
    reason = "vendor image writes to /root at start"
    component = gm.Component(cluster("opt-out"), "legacy", namespace="legacy")
    gm.CpuJob(
        component, "vendor-tool", image="busybox:1.36.1", security=gm.SecurityOptOut(run_as_root=True, reason=reason)
    )
    files = _synth_files(app)
    template = _one(files, "Job", "vendor-tool")["spec"]["template"]
    annotation = template["metadata"]["annotations"][OPT_OUT_ANNOTATION]
    assert "run-as-root" in annotation
    assert reason in annotation
    assert _one(files, "Namespace", "legacy")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert evaluate("baseline", template["spec"], template["metadata"]) == {}
    violations = evaluate("restricted", template["spec"], template["metadata"])
    assert set(violations) == {"running_as_non_root", "running_as_non_root_user"}
    # the other namespaces keep the restricted level
    other = [doc for doc in files.values() if doc["kind"] == "Namespace" and doc["metadata"]["name"] != "legacy"]
    assert other
    assert all(doc["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted" for doc in other)


def test_writable_root_opt_out_keeps_restricted(app: gm.GitOpsApp, cluster: Callable[..., gm.Cluster]) -> None:
    component = gm.Component(cluster("writable"), "legacy", namespace="legacy")
    opt_out = gm.SecurityOptOut(writable_root_filesystem=True, reason="the image unpacks into /opt at start")
    gm.CpuJob(component, "unpacker", image="busybox:1.36.1", security=opt_out)
    files = _synth_files(app)
    template = _one(files, "Job", "unpacker")["spec"]["template"]
    assert "writable-root-filesystem" in template["metadata"]["annotations"][OPT_OUT_ANNOTATION]
    assert template["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is False
    assert evaluate("restricted", template["spec"], template["metadata"]) == {}
    assert (
        _one(files, "Namespace", "legacy")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    )


DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("image", ["busybox:latest", "busybox", "registry.example.com:5000/team/tool:latest"])
def test_unpinned_image_warns_and_fails_under_strict(image: str, cluster: Callable[..., gm.Cluster]) -> None:
    lax = gm.GitOpsApp()
    gm.CpuJob(gm.Component(cluster("lax", gpu_profiles=(), in_app=lax), "jobs"), "tool", image=image)
    warnings = [str(warning) for warning in gm.synthesize(lax).warnings]
    assert any(image in warning and "pin a version tag or an @sha256 digest" in warning for warning in warnings)

    strict = gm.GitOpsApp(strict=True)
    gm.CpuJob(gm.Component(cluster("strict", gpu_profiles=(), in_app=strict), "jobs"), "tool", image=image)
    with pytest.raises(gm.SynthError) as error:
        gm.synthesize(strict)
    assert image in str(error.value)
    assert "strict/jobs/tool" in str(error.value)


@pytest.mark.parametrize("image", [f"busybox@{DIGEST}", f"busybox:latest@{DIGEST}", f"ghcr.io/org/tool:1.2@{DIGEST}"])
def test_digests_are_accepted_under_strict(image: str, cluster: Callable[..., gm.Cluster]) -> None:
    strict = gm.GitOpsApp(strict=True)
    gm.CpuJob(gm.Component(cluster("strict", gpu_profiles=(), in_app=strict), "jobs"), "tool", image=image)
    synthesis = gm.synthesize(strict)
    assert not synthesis.warnings
    job = next(content for path, content in synthesis.files.items() if "_job_tool-" in path)
    assert image.encode() in job
