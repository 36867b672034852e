"""Pod Security admission: the checks kube-apiserver's PodSecurity plugin runs on a pod template.

The baseline and restricted checks of ``k8s.io/pod-security-admission`` (``policy/check_*.go``) as
they stand from policy version v1.35 on (the oldest version a supported minor pins), over PodSpec
dicts in the API's camelCase. Each failed check gives upstream's own reason and detail, which name
the containers, volumes or values at fault. The restricted level runs every baseline check except
those a restricted check replaces (hostPath volumes, baseline capabilities, baseline seccomp,
baseline procMount), as upstream's registry does, in its order: baseline checks by ID, then
restricted checks by ID. ``spec.os.name: windows`` exempts a pod from the checks of fields Windows
pods cannot set, and ``hostUsers: false`` (a user namespace) from the root-user checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["PodSecurityLevel", "PodSecurityViolation", "pod_security_violations", "strictest_level"]

FIRST_VERSION = 35
"""The oldest policy minor modelled (v1.35): older ones differ in the user-namespace and procMount checks."""

_Pod = Mapping[str, Any]
_Check = Callable[[_Pod, _Pod], "tuple[str, str] | None"]
"""(pod metadata, PodSpec) -> (reason, detail) when the check forbids the pod."""


class PodSecurityLevel(StrEnum):
    """A Pod Security Standards level (kubernetes.io/docs/concepts/security/pod-security-standards/).

    ``restricted`` is the hardened profile every generated pod meets by default; ``baseline``
    also admits pods that run as root.
    """

    RESTRICTED = "restricted"
    BASELINE = "baseline"


@dataclass(frozen=True)
class PodSecurityViolation:
    """A check the pod fails: upstream's check ID, reason and detail."""

    check: str
    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


# -- helpers (policy/helpers.go, policy/visitor.go) ----------------------------------------------


def _join_quote(items: list[str]) -> str:
    return '"' + '", "'.join(items) + '"' if items else ""


def _plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def _containers(spec: _Pod) -> Iterator[_Pod]:
    """Init containers, containers, then ephemeral containers, as upstream visits them."""
    for field in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(field) or ()


def _context(owner: _Pod) -> _Pod:
    return owner.get("securityContext") or {}


def _name(container: _Pod) -> str:
    return str(container.get("name", ""))


def _user_namespace(spec: _Pod) -> bool:
    return spec.get("hostUsers") is False


def _windows(spec: _Pod) -> bool:
    return (spec.get("os") or {}).get("name") == "windows"


def _forbidden_type(profile: _Pod | None, allowed: frozenset[str]) -> str | None:
    """The ``type`` of a set profile (seccomp, AppArmor) when it is not ``allowed``; None otherwise."""
    if profile is None or profile.get("type") in allowed:
        return None
    return str(profile.get("type", ""))


def _setters(pod: bool, containers: list[str]) -> list[str]:
    """``pod`` and/or ``container(s) "a", "b"``: who set a forbidden value."""
    setters = ["pod"] if pod else []
    if containers:
        setters.append(f"{_plural('container', 'containers', len(containers))} {_join_quote(containers)}")
    return setters


# -- baseline checks -----------------------------------------------------------------------------

_APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


_APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _app_armor(metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    pod_bad = _forbidden_type(_context(spec).get("appArmorProfile"), _APPARMOR_TYPES)
    bad_values = {pod_bad} if pod_bad is not None else set()
    containers = []
    for container in _containers(spec):
        bad = _forbidden_type(_context(container).get("appArmorProfile"), _APPARMOR_TYPES)
        if bad is not None:
            containers.append(_name(container))
            bad_values.add(bad)
    annotations = sorted(
        f"{key}={json.dumps(value)}"
        for key, value in (metadata.get("annotations") or {}).items()
        if key.startswith(_APPARMOR_PREFIX)
        and not (value in ("", "runtime/default") or str(value).startswith("localhost/"))
    )
    setters = _setters(pod_bad is not None, containers)
    values = sorted(bad_values) + annotations
    if annotations:
        setters.append(_plural("annotation", "annotations", len(annotations)))
    if not setters:
        return None
    return (
        _plural("forbidden AppArmor profile", "forbidden AppArmor profiles", len(values)),
        f"{' and '.join(setters)} must not set AppArmor profile type to {_join_quote(values)}",
    )


_BASELINE_CAPABILITIES = frozenset(
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


def _capabilities_baseline(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    containers, added = [], set()
    for container in _containers(spec):
        extra = [str(cap) for cap in (_context(container).get("capabilities") or {}).get("add") or ()]
        extra = [cap for cap in extra if cap not in _BASELINE_CAPABILITIES]
        if extra:
            containers.append(_name(container))
            added.update(extra)
    if not containers:
        return None
    return (
        "non-default capabilities",
        f"{_plural('container', 'containers', len(containers))} {_join_quote(containers)} must not include "
        f"{_join_quote(sorted(added))} in securityContext.capabilities.add",
    )


def _host_namespaces(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    used = [f"{field}=true" for field in ("hostNetwork", "hostPID", "hostIPC") if spec.get(field) is True]
    return ("host namespaces", ", ".join(used)) if used else None


def _host_path_volumes(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    names = [str(volume.get("name", "")) for volume in spec.get("volumes") or () if volume.get("hostPath") is not None]
    if not names:
        return None
    return "hostPath volumes", f"{_plural('volume', 'volumes', len(names))} {_join_quote(names)}"


def _host_ports(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    containers, ports = [], set()
    for container in _containers(spec):
        used = [str(port.get("hostPort")) for port in container.get("ports") or () if port.get("hostPort", 0) != 0]
        if used:
            containers.append(_name(container))
            ports.update(used)
    if not containers:
        return None
    return (
        "hostPort",
        f"{_plural('container', 'containers', len(containers))} {_join_quote(containers)} "
        f"{_plural('uses', 'use', len(containers))} {_plural('hostPort', 'hostPorts', len(ports))} "
        f"{', '.join(sorted(ports))}",
    )


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _handler_hosts(handler: _Pod | None) -> list[str]:
    if not handler:
        return []
    return [
        str(action["host"])
        for action in (handler.get("httpGet"), handler.get("tcpSocket"))
        if action and action.get("host")
    ]


def _host_probes_and_lifecycle(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    containers: set[str] = set()
    hosts: set[str] = set()
    for container in _containers(spec):
        lifecycle = container.get("lifecycle") or {}
        handlers = [container.get(probe) for probe in _PROBES] + [lifecycle.get("postStart"), lifecycle.get("preStop")]
        found = [host for handler in handlers for host in _handler_hosts(handler)]
        if found:
            containers.add(_name(container))
            hosts.update(found)
    if not containers:
        return None
    return (
        "probe or lifecycle host",
        f"{_plural('container', 'containers', len(containers))} {_join_quote(sorted(containers))} "
        f"{_plural('uses', 'use', len(containers))} "
        f"{_plural('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))} {_join_quote(sorted(hosts))}",
    )


def _privileged(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    names = [_name(c) for c in _containers(spec) if _context(c).get("privileged") is True]
    if not names:
        return None
    return (
        "privileged",
        f"{_plural('container', 'containers', len(names))} {_join_quote(names)} "
        "must not set securityContext.privileged=true",
    )


def _proc_mount_any(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    containers, types = [], set()
    for container in _containers(spec):
        mount = _context(container).get("procMount")
        if mount is not None and mount != "Default":
            containers.append(_name(container))
            types.add(str(mount))
    if not containers:
        return None
    return (
        "procMount",
        f"{_plural('container', 'containers', len(containers))} {_join_quote(containers)} must not set "
        f"securityContext.procMount to {_join_quote(sorted(types))}",
    )


def _proc_mount_baseline(metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    return None if _user_namespace(spec) else _proc_mount_any(metadata, spec)


_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


def _se_linux_faults(options: _Pod) -> tuple[str | None, bool, bool]:
    """(the forbidden type or None, whether a user is set, whether a role is set)."""
    kind = str(options.get("type", ""))
    return (None if kind in _SELINUX_TYPES else kind), bool(options.get("user")), bool(options.get("role"))


def _se_linux_options(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    faults = []
    pod_options = _context(spec).get("seLinuxOptions")
    pod_faults = _se_linux_faults(pod_options) if pod_options is not None else (None, False, False)
    faults.append(pod_faults)
    containers = []
    for container in _containers(spec):
        options = _context(container).get("seLinuxOptions")
        if options is not None and _se_linux_faults(options) != (None, False, False):
            containers.append(_name(container))
            faults.append(_se_linux_faults(options))
    setters = _setters(pod_faults != (None, False, False), containers)
    if not setters:
        return None
    bad_types = sorted({kind for kind, _, _ in faults if kind is not None})
    data = [f"{_plural('type', 'types', len(bad_types))} {_join_quote(bad_types)}"] if bad_types else []
    data += ["user may not be set"] if any(user for _, user, _ in faults) else []
    data += ["role may not be set"] if any(role for _, _, role in faults) else []
    return (
        "seLinuxOptions",
        f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: {'; '.join(data)}",
    )


_SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _seccomp(spec: _Pod, *, required: bool) -> tuple[str, str] | None:
    """Seccomp: a profile that is set must be RuntimeDefault or Localhost; ``required``: and one must apply."""
    pod_profile = _context(spec).get("seccompProfile")
    pod_bad = _forbidden_type(pod_profile, _SECCOMP_TYPES)
    bad_values = {pod_bad} if pod_bad is not None else set()
    pod_set = pod_profile is not None and pod_bad is None
    explicit, implicit = [], []
    for container in _containers(spec):
        profile = _context(container).get("seccompProfile")
        bad = _forbidden_type(profile, _SECCOMP_TYPES)
        if profile is None and not pod_set:
            implicit.append(_name(container))
        elif bad is not None:
            explicit.append(_name(container))
            bad_values.add(bad)
    setters = _setters(pod_bad is not None, explicit)
    if setters:
        return (
            "seccompProfile",
            f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
            f"{_join_quote(sorted(bad_values))}",
        )
    if required and implicit:
        return (
            "seccompProfile",
            f"pod or {_plural('container', 'containers', len(implicit))} {_join_quote(implicit)} must set "
            'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
        )
    return None


def _seccomp_baseline(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    return _seccomp(spec, required=False)


_SAFE_SYSCTLS = {
    35: frozenset(
        {
            "kernel.shm_rmid_forced",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
            "net.ipv4.ip_local_reserved_ports",
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
            "net.ipv4.tcp_rmem",
            "net.ipv4.tcp_wmem",
        }
    ),
}
_SAFE_SYSCTLS[37] = _SAFE_SYSCTLS[35] | {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}
"""The sysctls baseline allows, by the policy minor that introduced the set (v1.32's set until v1.37)."""


def _sysctls(minor: int) -> _Check:
    allowed = _SAFE_SYSCTLS[max(version for version in _SAFE_SYSCTLS if version <= minor)]

    def check(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
        forbidden = [str(s.get("name")) for s in _context(spec).get("sysctls") or () if s.get("name") not in allowed]
        return ("forbidden sysctls", ", ".join(forbidden)) if forbidden else None

    return check


def _windows_host_process(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    def host_process(owner: _Pod) -> bool:
        return (_context(owner).get("windowsOptions") or {}).get("hostProcess") is True

    setters = _setters(host_process(spec), [_name(c) for c in _containers(spec) if host_process(c)])
    if not setters:
        return None
    return "hostProcess", f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true"


# -- restricted checks ---------------------------------------------------------------------------


def _allow_privilege_escalation(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    if _windows(spec):
        return None
    names = [_name(c) for c in _containers(spec) if _context(c).get("allowPrivilegeEscalation") is not False]
    if not names:
        return None
    return (
        "allowPrivilegeEscalation != false",
        f"{_plural('container', 'containers', len(names))} {_join_quote(names)} "
        "must set securityContext.allowPrivilegeEscalation=false",
    )


def _capabilities_restricted(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    if _windows(spec):
        return None
    missing, adding, forbidden = [], [], set()
    for container in _containers(spec):
        capabilities = _context(container).get("capabilities")
        if capabilities is None:
            missing.append(_name(container))
            continue
        if "ALL" not in (capabilities.get("drop") or ()):
            missing.append(_name(container))
        extra = [str(cap) for cap in capabilities.get("add") or () if cap != "NET_BIND_SERVICE"]
        if extra:
            adding.append(_name(container))
            forbidden.update(extra)
    details = []
    if missing:
        details.append(
            f"{_plural('container', 'containers', len(missing))} {_join_quote(missing)} "
            'must set securityContext.capabilities.drop=["ALL"]'
        )
    if adding:
        details.append(
            f"{_plural('container', 'containers', len(adding))} {_join_quote(adding)} must not include "
            f"{_join_quote(sorted(forbidden))} in securityContext.capabilities.add"
        )
    return ("unrestricted capabilities", "; ".join(details)) if details else None


_RESTRICTED_SOURCES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
_OTHER_SOURCES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
)


def _restricted_volumes(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    names, types = [], set()
    for volume in spec.get("volumes") or ():
        if set(volume) <= {"name"} or any(volume.get(source) is not None for source in _RESTRICTED_SOURCES):
            continue  # API defaulting makes a volume without a source an emptyDir (SetDefaults_Volume)
        names.append(str(volume.get("name", "")))
        types.add(next((source for source in _OTHER_SOURCES if volume.get(source) is not None), "unknown"))
    if not names:
        return None
    return (
        "restricted volume types",
        f"{_plural('volume', 'volumes', len(names))} {_join_quote(names)} {_plural('uses', 'use', len(names))} "
        f"{_plural('restricted volume type', 'restricted volume types', len(types))} {_join_quote(sorted(types))}",
    )


def _run_as_non_root(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    if _user_namespace(spec):
        return None
    pod_value = _context(spec).get("runAsNonRoot")
    explicit, implicit = [], []
    for container in _containers(spec):
        value = _context(container).get("runAsNonRoot")
        if value is None:
            if pod_value is not True:
                implicit.append(_name(container))
        elif value is False:
            explicit.append(_name(container))
    setters = _setters(pod_value is False, explicit)
    if setters:
        return "runAsNonRoot != true", f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false"
    if implicit:
        return (
            "runAsNonRoot != true",
            f"pod or {_plural('container', 'containers', len(implicit))} {_join_quote(implicit)} "
            "must set securityContext.runAsNonRoot=true",
        )
    return None


def _run_as_user(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    if _user_namespace(spec):
        return None
    setters = _setters(
        _context(spec).get("runAsUser") == 0,
        [_name(c) for c in _containers(spec) if _context(c).get("runAsUser") == 0],
    )
    return ("runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0") if setters else None


def _seccomp_restricted(_metadata: _Pod, spec: _Pod) -> tuple[str, str] | None:
    return None if _windows(spec) else _seccomp(spec, required=True)


def _checks(level: PodSecurityLevel, minor: int) -> list[tuple[str, _Check]]:
    """The checks of ``level`` at policy version v1.<minor>, in upstream's order."""
    baseline: dict[str, _Check] = {
        "appArmorProfile": _app_armor,
        "capabilities_baseline": _capabilities_baseline,
        "hostNamespaces": _host_namespaces,
        "hostPathVolumes": _host_path_volumes,
        "hostPorts": _host_ports,
        "hostProbesAndHostLifecycle": _host_probes_and_lifecycle,
        "privileged": _privileged,
        "procMount": _proc_mount_baseline,
        "seLinuxOptions": _se_linux_options,
        "seccompProfile_baseline": _seccomp_baseline,
        "sysctls": _sysctls(minor),
        "windowsHostProcess": _windows_host_process,
    }
    if level is PodSecurityLevel.BASELINE:
        return sorted(baseline.items())
    restricted: dict[str, tuple[_Check, str | None]] = {
        "allowPrivilegeEscalation": (_allow_privilege_escalation, None),
        "capabilities_restricted": (_capabilities_restricted, "capabilities_baseline"),
        "procMount_restricted": (_proc_mount_any, "procMount"),
        "restrictedVolumes": (_restricted_volumes, "hostPathVolumes"),
        "runAsNonRoot": (_run_as_non_root, None),
        "runAsUser": (_run_as_user, None),
        "seccompProfile_restricted": (_seccomp_restricted, "seccompProfile_baseline"),
    }
    replaced = {overrides for _, overrides in restricted.values()}
    kept = sorted((check_id, check) for check_id, check in baseline.items() if check_id not in replaced)
    return kept + sorted((check_id, check) for check_id, (check, _) in restricted.items())


def pod_security_violations(
    metadata: Mapping[str, Any], spec: Mapping[str, Any], *, level: PodSecurityLevel, minor: int
) -> list[PodSecurityViolation]:
    """Every check of ``level`` (policy version v1.<minor>, 35 or later) the pod template fails."""
    if minor < FIRST_VERSION:
        raise ValueError(f"Pod Security policy v1.{minor} is older than the v1.{FIRST_VERSION} modelled here")
    violations = []
    for check_id, check in _checks(level, minor):
        found = check(metadata, spec)
        if found is not None:
            violations.append(PodSecurityViolation(check_id, *found))
    return violations


def strictest_level(metadata: Mapping[str, Any], spec: Mapping[str, Any], *, minor: int) -> PodSecurityLevel | None:
    """The strictest level whose checks the pod template passes; None when it fails even baseline."""
    for level in (PodSecurityLevel.RESTRICTED, PodSecurityLevel.BASELINE):
        if not pod_security_violations(metadata, spec, level=level, minor=minor):
            return level
    return None
