"""The library's Pod Security checks against upstream's own test tables.

Each case is transcribed from ``policy/check_<id>_test.go`` of kubernetes/pod-security-admission
at tag v0.37.0-alpha.2 (Go structs written as PodSpec dicts): the pod, and the reason and detail
upstream's check returns for it (``None`` where upstream admits the pod). The checks run at policy
v1.37, the cluster default. One upstream case is left out on purpose: ``restrictedVolumes``'
unit test calls the check on a volume without any source, which the API server never admits
undefaulted (``SetDefaults_Volume`` makes it an emptyDir; upstream's generated fixture
``restrictedvolumes0`` passes restricted for that reason), so that volume is dropped from the case.
"""

from __future__ import annotations

from typing import Any

import pytest

from gpumanifests._kube.pod_security import PodSecurityLevel, pod_security_violations

Case = tuple[str, str, dict[str, Any], dict[str, Any], str | None, str | None]
"""(check id, case name, pod metadata, PodSpec, expected reason, expected detail)."""


def _sc(**fields: Any) -> dict[str, Any]:
    return {"securityContext": fields}


def _c(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, **fields}


_APPARMOR = "container.apparmor.security.beta.kubernetes.io/"
_BASELINE_IDS = {
    "appArmorProfile",
    "capabilities_baseline",
    "hostNamespaces",
    "hostPathVolumes",
    "hostPorts",
    "hostProbesAndHostLifecycle",
    "privileged",
    "procMount",
    "seLinuxOptions",
    "seccompProfile_baseline",
    "sysctls",
    "windowsHostProcess",
}

CASES: list[Case] = [
    # check_allowPrivilegeEscalation_test.go
    (
        "allowPrivilegeEscalation",
        "multiple containers",
        {},
        {
            "containers": [
                _c("a"),
                _c("b", **_sc()),
                _c("c", **_sc(allowPrivilegeEscalation=True)),
                _c("d", **_sc(allowPrivilegeEscalation=False)),
            ]
        },
        "allowPrivilegeEscalation != false",
        'containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false',
    ),
    (
        "allowPrivilegeEscalation",
        "windows pod, admit without checking privilegeEscalation",
        {},
        {"os": {"name": "windows"}, "containers": [_c("a")]},
        None,
        None,
    ),
    (
        "allowPrivilegeEscalation",
        "linux pod, reject if security context is not set",
        {},
        {"os": {"name": "linux"}, "containers": [_c("a")]},
        "allowPrivilegeEscalation != false",
        'container "a" must set securityContext.allowPrivilegeEscalation=false',
    ),
    # check_appArmorProfile_test.go
    (
        "appArmorProfile",
        "unconfined pod",
        {},
        {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}},
        "forbidden AppArmor profile",
        'pod must not set AppArmor profile type to "Unconfined"',
    ),
    (
        "appArmorProfile",
        "unconfined container",
        {},
        {
            "securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
            "containers": [_c("foo", **_sc(appArmorProfile={"type": "Unconfined"}))],
        },
        "forbidden AppArmor profile",
        'container "foo" must not set AppArmor profile type to "Unconfined"',
    ),
    (
        "appArmorProfile",
        "unconfined init container",
        {},
        {
            "securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
            "containers": [_c("foo")],
            "initContainers": [_c("bar", **_sc(appArmorProfile={"type": "Unconfined"}))],
        },
        "forbidden AppArmor profile",
        'container "bar" must not set AppArmor profile type to "Unconfined"',
    ),
    (
        "appArmorProfile",
        "multiple containers",
        {
            "annotations": {
                _APPARMOR: "bogus",
                f"{_APPARMOR}a": "",
                f"{_APPARMOR}b": "runtime/default",
                f"{_APPARMOR}c": "localhost/",
                f"{_APPARMOR}d": "localhost/foo",
                f"{_APPARMOR}e": "unconfined",
                f"{_APPARMOR}f": "unknown",
            }
        },
        {},
        "forbidden AppArmor profiles",
        "annotations must not set AppArmor profile type to "
        f'"{_APPARMOR}="bogus"", "{_APPARMOR}e="unconfined"", "{_APPARMOR}f="unknown""',
    ),
    # check_capabilities_baseline_test.go
    (
        "capabilities_baseline",
        "multiple containers",
        {},
        {
            "containers": [
                _c("a", **_sc(capabilities={"add": ["FOO", "BAR"]})),
                _c("b", **_sc(capabilities={"add": ["BAR", "BAZ"]})),
            ]
        },
        "non-default capabilities",
        'containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add',
    ),
    # check_capabilities_restricted_test.go
    (
        "capabilities_restricted",
        "multiple containers",
        {},
        {
            "containers": [
                _c("a", **_sc(capabilities={"add": ["FOO", "BAR"]})),
                _c("b", **_sc(capabilities={"add": ["BAR", "BAZ"]})),
                _c("c", **_sc(capabilities={"add": ["NET_BIND_SERVICE", "CHOWN"], "drop": ["ALL", "FOO"]})),
            ]
        },
        "unrestricted capabilities",
        'containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; '
        'containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add',
    ),
    (
        "capabilities_restricted",
        "windows pod, admit without checking capabilities",
        {},
        {"os": {"name": "windows"}, "containers": [_c("a")]},
        None,
        None,
    ),
    (
        "capabilities_restricted",
        "linux pod, reject if security context is not set",
        {},
        {"os": {"name": "linux"}, "containers": [_c("a")]},
        "unrestricted capabilities",
        'container "a" must set securityContext.capabilities.drop=["ALL"]',
    ),
    # check_hostNamespaces_test.go
    (
        "hostNamespaces",
        "multiple host namespaces",
        {},
        {"hostNetwork": True, "hostIPC": True, "hostPID": True},
        "host namespaces",
        "hostNetwork=true, hostPID=true, hostIPC=true",
    ),
    # check_hostPathVolumes_test.go
    (
        "hostPathVolumes",
        "host path volumes",
        {},
        {"volumes": [{"name": "a", "hostPath": {}}, {"name": "b", "hostPath": {}}, {"name": "c", "emptyDir": {}}]},
        "hostPath volumes",
        'volumes "a", "b"',
    ),
    # check_hostPorts_test.go
    (
        "hostPorts",
        "one container, one host port",
        {},
        {"containers": [_c("a", ports=[{"hostPort": 0}]), _c("b", ports=[{"hostPort": 0}, {"hostPort": 20}])]},
        "hostPort",
        'container "b" uses hostPort 20',
    ),
    (
        "hostPorts",
        "multiple containers, multiple host port",
        {},
        {
            "containers": [
                _c("a", ports=[{"hostPort": 0}]),
                _c("b", ports=[{"hostPort": 0}, {"hostPort": 10}, {"hostPort": 20}]),
                _c("c", ports=[{"hostPort": 0}, {"hostPort": 10}, {"hostPort": 30}]),
            ]
        },
        "hostPort",
        'containers "b", "c" use hostPorts 10, 20, 30',
    ),
    # check_hostProbesAndhostLifecycle_test.go
    (
        "hostProbesAndHostLifecycle",
        "valid pod with unset hosts",
        {},
        {
            "containers": [
                _c(
                    "a",
                    livenessProbe={"httpGet": {}},
                    readinessProbe={"tcpSocket": {}},
                    lifecycle={"postStart": {"httpGet": {}}},
                )
            ]
        },
        None,
        None,
    ),
    (
        "hostProbesAndHostLifecycle",
        "invalid pod with local host IP as probe host",
        {},
        {
            "containers": [
                _c(
                    "a",
                    livenessProbe={"httpGet": {"host": "127.0.0.1"}},
                    readinessProbe={"tcpSocket": {"host": "::1"}},
                    startupProbe={"httpGet": {"host": "localhost"}},
                )
            ]
        },
        "probe or lifecycle host",
        'container "a" uses probe or lifecycle hosts "127.0.0.1", "::1", "localhost"',
    ),
    (
        "hostProbesAndHostLifecycle",
        "invalid poststart tcpsocket host",
        {},
        {"containers": [_c("d", lifecycle={"postStart": {"tcpSocket": {"host": "invalid.host"}}})]},
        "probe or lifecycle host",
        'container "d" uses probe or lifecycle host "invalid.host"',
    ),
    (
        "hostProbesAndHostLifecycle",
        "invalid prestop httpget host",
        {},
        {"containers": [_c("e", lifecycle={"preStop": {"httpGet": {"host": "another.invalid.host"}}})]},
        "probe or lifecycle host",
        'container "e" uses probe or lifecycle host "another.invalid.host"',
    ),
    # check_privileged_test.go
    (
        "privileged",
        "privileged",
        {},
        {
            "containers": [
                _c("a"),
                _c("b", **_sc()),
                _c("c", **_sc(privileged=False)),
                _c("d", **_sc(privileged=True)),
                _c("e", **_sc(privileged=True)),
            ]
        },
        "privileged",
        'containers "d", "e" must not set securityContext.privileged=true',
    ),
    # check_procMount_baseline_test.go
    (
        "procMount",
        "procMount",
        {},
        {
            "containers": [
                _c("a"),
                _c("b", **_sc()),
                _c("c", **_sc(procMount="Default")),
                _c("d", **_sc(procMount="Unmasked")),
                _c("e", **_sc(procMount="other")),
            ],
            "hostUsers": True,
        },
        "procMount",
        'containers "d", "e" must not set securityContext.procMount to "Unmasked", "other"',
    ),
    (
        "procMount",
        "procMount with userns",
        {},
        {"containers": [_c("d", **_sc(procMount="Unmasked"))], "hostUsers": False},
        None,
        None,
    ),
    # check_procMount_restricted_test.go: unmasked is refused even in a user namespace
    (
        "procMount_restricted",
        "procMount with userns",
        {},
        {"containers": [_c("d", **_sc(procMount="Unmasked"))], "hostUsers": False},
        "procMount",
        'container "d" must not set securityContext.procMount to "Unmasked"',
    ),
    # check_restrictedVolumes_test.go (without the source-less volume "c1", see the module docstring)
    (
        "restrictedVolumes",
        "host path volumes",
        {},
        {
            "volumes": [
                {"name": "a1", "emptyDir": {}},
                {"name": "a2", "secret": {}},
                {"name": "a3", "persistentVolumeClaim": {}},
                {"name": "a4", "downwardAPI": {}},
                {"name": "a5", "configMap": {}},
                {"name": "a6", "projected": {}},
                {"name": "a7", "csi": {}},
                {"name": "a8", "ephemeral": {}},
                {"name": "a9", "image": {}},
                {"name": "b1", "hostPath": {}},
                {"name": "b2", "gcePersistentDisk": {}},
                {"name": "b3", "awsElasticBlockStore": {}},
                {"name": "b4", "gitRepo": {}},
                {"name": "b5", "nfs": {}},
                {"name": "b6", "iscsi": {}},
                {"name": "b7", "glusterfs": {}},
                {"name": "b8", "rbd": {}},
                {"name": "b9", "flexVolume": {}},
                {"name": "b10", "cinder": {}},
                {"name": "b11", "cephfs": {}},
                {"name": "b12", "flocker": {}},
                {"name": "b13", "fc": {}},
                {"name": "b14", "azureFile": {}},
                {"name": "b15", "vsphereVolume": {}},
                {"name": "b16", "quobyte": {}},
                {"name": "b17", "azureDisk": {}},
                {"name": "b18", "photonPersistentDisk": {}},
                {"name": "b19", "portworxVolume": {}},
                {"name": "b20", "scaleIO": {}},
                {"name": "b21", "storageos": {}},
            ]
        },
        "restricted volume types",
        "volumes "
        + ", ".join(f'"b{i}"' for i in range(1, 22))
        + " use restricted volume types "
        + '"awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", '
        '"gcePersistentDisk", "gitRepo", "glusterfs", "hostPath", "iscsi", "nfs", "photonPersistentDisk", '
        '"portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume"',
    ),
    # check_runAsNonRoot_test.go
    (
        "runAsNonRoot",
        "no explicit runAsNonRoot",
        {},
        {"containers": [_c("a")]},
        "runAsNonRoot != true",
        'pod or container "a" must set securityContext.runAsNonRoot=true',
    ),
    (
        "runAsNonRoot",
        "pod runAsNonRoot=false",
        {},
        {"securityContext": {"runAsNonRoot": False}, "containers": [_c("a")]},
        "runAsNonRoot != true",
        "pod must not set securityContext.runAsNonRoot=false",
    ),
    (
        "runAsNonRoot",
        "containers runAsNonRoot=false",
        {},
        {
            "securityContext": {"runAsNonRoot": True},
            "containers": [
                _c("a"),
                _c("b", **_sc()),
                _c("c", **_sc(runAsNonRoot=False)),
                _c("d", **_sc(runAsNonRoot=False)),
                _c("e", **_sc(runAsNonRoot=True)),
                _c("f", **_sc(runAsNonRoot=True)),
            ],
        },
        "runAsNonRoot != true",
        'containers "c", "d" must not set securityContext.runAsNonRoot=false',
    ),
    (
        "runAsNonRoot",
        "pod nil, container fallthrough",
        {},
        {
            "containers": [
                _c("a"),
                _c("b", **_sc()),
                _c("d", **_sc(runAsNonRoot=True)),
                _c("e", **_sc(runAsNonRoot=True)),
            ]
        },
        "runAsNonRoot != true",
        'pod or containers "a", "b" must set securityContext.runAsNonRoot=true',
    ),
    ("runAsNonRoot", "host users false allowed", {}, {"hostUsers": False}, None, None),
    # check_runAsUser_test.go
    (
        "runAsUser",
        "pod runAsUser=0",
        {},
        {"securityContext": {"runAsUser": 0}, "containers": [_c("a")]},
        "runAsUser=0",
        "pod must not set runAsUser=0",
    ),
    (
        "runAsUser",
        "pod runAsUser=non-zero",
        {},
        {"securityContext": {"runAsUser": 1000}, "containers": [_c("a")]},
        None,
        None,
    ),
    (
        "runAsUser",
        "containers runAsUser=0",
        {},
        {
            "securityContext": {"runAsUser": 1000},
            "containers": [
                _c("a"),
                _c("b", **_sc()),
                _c("c", **_sc(runAsUser=0)),
                _c("d", **_sc(runAsUser=0)),
                _c("e", **_sc(runAsUser=1)),
                _c("f", **_sc(runAsUser=1)),
            ],
        },
        "runAsUser=0",
        'containers "c", "d" must not set runAsUser=0',
    ),
    (
        "runAsUser",
        "host users false allowed",
        {},
        {"hostUsers": False, "securityContext": {"runAsUser": 0}},
        None,
        None,
    ),
    # check_seLinuxOptions_test.go
    (
        "seLinuxOptions",
        "invalid pod and containers",
        {},
        {
            "securityContext": {"seLinuxOptions": {"type": "foo", "user": "bar", "role": "baz"}},
            "containers": [
                _c("a", **_sc(seLinuxOptions={"type": "container_t"})),
                _c("b", **_sc(seLinuxOptions={"type": "container_init_t"})),
                _c("c", **_sc(seLinuxOptions={"type": "container_kvm_t"})),
                _c("d", **_sc(seLinuxOptions={"type": "container_engine_t"})),
                _c("e", **_sc(seLinuxOptions={"type": "bar"})),
                _c("f", **_sc(seLinuxOptions={"user": "bar"})),
                _c("g", **_sc(seLinuxOptions={"role": "baz"})),
            ],
        },
        "seLinuxOptions",
        'pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; '
        "user may not be set; role may not be set",
    ),
    (
        "seLinuxOptions",
        "invalid containers",
        {},
        {
            "securityContext": {"seLinuxOptions": {}},
            "containers": [
                _c("a", **_sc(seLinuxOptions={"type": "container_t"})),
                _c("e", **_sc(seLinuxOptions={"type": "bar"})),
                _c("f", **_sc(seLinuxOptions={"user": "bar"})),
                _c("g", **_sc(seLinuxOptions={"role": "baz"})),
            ],
        },
        "seLinuxOptions",
        'containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: type "bar"; '
        "user may not be set; role may not be set",
    ),
    (
        "seLinuxOptions",
        "bad user",
        {},
        {"securityContext": {"seLinuxOptions": {"user": "bad"}}},
        "seLinuxOptions",
        "pod set forbidden securityContext.seLinuxOptions: user may not be set",
    ),
    # check_seccompProfile_baseline_test.go (TestSeccompProfileBaseline_1_19)
    (
        "seccompProfile_baseline",
        "pod and containers seccomp invalid",
        {},
        {
            "securityContext": {"seccompProfile": {"type": "Unconfined"}},
            "containers": [
                _c("a"),
                _c("b", **_sc()),
                _c("c", **_sc(seccompProfile={"type": "Unconfined"})),
                _c("d", **_sc(seccompProfile={"type": "Unconfined"})),
                _c("e", **_sc(seccompProfile={"type": "RuntimeDefault"})),
            ],
        },
        "seccompProfile",
        'pod and containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"',
    ),
    # check_seccompProfile_restricted_test.go
    (
        "seccompProfile_restricted",
        "no explicit seccomp",
        {},
        {"containers": [_c("a")]},
        "seccompProfile",
        'pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    ),
    (
        "seccompProfile_restricted",
        "no explicit seccomp, windows Pod",
        {},
        {"os": {"name": "windows"}, "containers": [_c("a")]},
        None,
        None,
    ),
    (
        "seccompProfile_restricted",
        "pod seccomp invalid",
        {},
        {"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [_c("a")]},
        "seccompProfile",
        'pod must not set securityContext.seccompProfile.type to "Unconfined"',
    ),
    (
        "seccompProfile_restricted",
        "containers seccomp invalid",
        {},
        {
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                _c("a"),
                _c("b", **_sc()),
                _c("c", **_sc(seccompProfile={"type": "Unconfined"})),
                _c("d", **_sc(seccompProfile={"type": "Unconfined"})),
                _c("e", **_sc(seccompProfile={"type": "RuntimeDefault"})),
            ],
        },
        "seccompProfile",
        'containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"',
    ),
    (
        "seccompProfile_restricted",
        "pod nil, container fallthrough",
        {},
        {
            "containers": [
                _c("a"),
                _c("b", **_sc()),
                _c("d", **_sc(seccompProfile={"type": "RuntimeDefault"})),
            ]
        },
        "seccompProfile",
        'pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    ),
    # check_sysctls_test.go
    (
        "sysctls",
        "forbidden sysctls",
        {},
        {"securityContext": {"sysctls": [{"name": "a"}, {"name": "b"}]}},
        "forbidden sysctls",
        "a, b",
    ),
    (
        "sysctls",
        "new supported sysctls: net.ipv4.tcp_wmem",
        {},
        {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_wmem", "value": "4096 87380 16777216"}]}},
        None,
        None,
    ),
    (
        "sysctls",
        "new supported sysctls (v1.37): net.ipv4.tcp_notsent_lowat",
        {},
        {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_notsent_lowat", "value": "16384"}]}},
        None,
        None,
    ),
    # check_windowsHostProcess_test.go
    (
        "windowsHostProcess",
        "host process",
        {},
        {
            "securityContext": {"windowsOptions": {"hostProcess": True}},
            "containers": [
                _c("a"),
                _c("b", **_sc()),
                _c("c", **_sc(windowsOptions={})),
                _c("d", **_sc(windowsOptions={"hostProcess": False})),
                _c("e", **_sc(windowsOptions={"hostProcess": True})),
                _c("f", **_sc(windowsOptions={"hostProcess": True})),
            ],
        },
        "hostProcess",
        'pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true',
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{case[0]}: {case[1]}" for case in CASES])
def test_upstream_case(case: Case) -> None:
    check, name, metadata, spec, reason, detail = case
    level = PodSecurityLevel.BASELINE if check in _BASELINE_IDS else PodSecurityLevel.RESTRICTED
    found = [v for v in pod_security_violations(metadata, spec, level=level, minor=37) if v.check == check]
    if reason is None:
        assert found == [], name
    else:
        [violation] = found
        assert (violation.reason, violation.detail) == (reason, detail), name


def test_sysctls_follow_the_policy_version() -> None:
    """v1.37 allows two more sysctls than v1.36 (check_sysctls.go, sysctlsAllowedV1Dot37)."""
    spec = {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_slow_start_after_idle", "value": "0"}]}}
    assert pod_security_violations({}, spec, level=PodSecurityLevel.BASELINE, minor=37) == []
    [violation] = pod_security_violations({}, spec, level=PodSecurityLevel.BASELINE, minor=36)
    assert str(violation) == "forbidden sysctls (net.ipv4.tcp_slow_start_after_idle)"


def test_restricted_replaces_the_baseline_checks_it_tightens() -> None:
    """A hostPath volume is reported once at restricted, by restrictedVolumes (registry.go overrides)."""
    spec = {"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}
    checks = [v.check for v in pod_security_violations({}, spec, level=PodSecurityLevel.RESTRICTED, minor=37)]
    assert "hostPathVolumes" not in checks
    assert "restrictedVolumes" in checks


def test_policy_versions_before_the_modelled_one_are_refused() -> None:
    with pytest.raises(ValueError, match=r"older than the v1\.35"):
        pod_security_violations({}, {}, level=PodSecurityLevel.BASELINE, minor=34)
