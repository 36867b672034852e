"""Probes on served workloads: typed handlers, Kubernetes defaults, a startup budget that outlasts model loading."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import gpumanifests as gm

if TYPE_CHECKING:
    from collections.abc import Callable

IMAGE = "busybox:1.36.1"
NVIDIA = gm.NodeProfile.nvidia_cuda()


@pytest.fixture
def serving(cluster: Callable[..., gm.Cluster]) -> gm.Component:
    return gm.Component(cluster("lab", gpu_profiles=(NVIDIA,)), "serving")


def _container(workload: gm.Workload) -> dict[str, Any]:
    return workload.pod_template_spec()["containers"][0]


def _least_seconds_before_restart(probe: dict[str, Any]) -> int:
    """Read off the YAML: the kubelet probes every period from the initial delay on and gives up
    after failureThreshold failures in a row, so not before delay + (threshold - 1) * period."""
    return probe.get("initialDelaySeconds", 0) + (probe.get("failureThreshold", 3) - 1) * probe.get("periodSeconds", 10)


def test_a_gpu_server_survives_a_ten_minute_model_load_by_default(serving: gm.Component) -> None:
    server = gm.GpuDeployment(serving, "llm", profile=NVIDIA, image=IMAGE, port=8000)
    container = _container(server)
    startup = container["startupProbe"]
    assert startup == {"tcpSocket": {"port": "http"}, "failureThreshold": 181, "periodSeconds": 10, "timeoutSeconds": 1}
    assert _least_seconds_before_restart(startup) >= 10 * 60
    assert _least_seconds_before_restart(startup) == gm.GPU_STARTUP_SECONDS == 1800
    assert container["readinessProbe"] == {
        "tcpSocket": {"port": "http"},
        "failureThreshold": 3,
        "periodSeconds": 10,
        "timeoutSeconds": 1,
    }
    assert container["livenessProbe"] == {
        "tcpSocket": {"port": "http"},
        "failureThreshold": 3,
        "periodSeconds": 20,
        "timeoutSeconds": 1,
    }


def test_a_cpu_server_gets_five_minutes_to_start(serving: gm.Component) -> None:
    api = gm.CpuDeployment(serving, "api", image=IMAGE, port=8080)
    assert _least_seconds_before_restart(_container(api)["startupProbe"]) == gm.CPU_STARTUP_SECONDS == 300


def test_the_startup_probe_checks_what_readiness_checks(serving: gm.Component) -> None:
    server = gm.GpuDeployment(
        serving,
        "llm",
        profile=NVIDIA,
        image=IMAGE,
        port=8000,
        readiness_probe=gm.Probe.http("/health", period_seconds=5),
    )
    container = _container(server)
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http", "scheme": "HTTP"}
    assert container["startupProbe"] == {
        "httpGet": {"path": "/health", "port": "http", "scheme": "HTTP"},
        "failureThreshold": 361,
        "periodSeconds": 5,
        "timeoutSeconds": 1,
    }


@pytest.mark.parametrize(
    ("probe", "rendered"),
    [
        (
            gm.Probe.http("/v2/health/ready", port=8000, scheme=gm.ProbeScheme.HTTPS, timeout_seconds=5),
            {
                "httpGet": {"path": "/v2/health/ready", "port": 8000, "scheme": "HTTPS"},
                "failureThreshold": 3,
                "periodSeconds": 10,
                "timeoutSeconds": 5,
            },
        ),
        (
            gm.Probe.tcp(8001, initial_delay_seconds=15, success_threshold=2),
            {
                "tcpSocket": {"port": 8001},
                "initialDelaySeconds": 15,
                "failureThreshold": 3,
                "periodSeconds": 10,
                "timeoutSeconds": 1,
                "successThreshold": 2,
            },
        ),
        (
            gm.Probe.exec(["cat", "/tmp/ready"]),
            {
                "exec": {"command": ["cat", "/tmp/ready"]},
                "failureThreshold": 3,
                "periodSeconds": 10,
                "timeoutSeconds": 1,
            },
        ),
        (
            gm.Probe.grpc(8001, service="inference"),
            {
                "grpc": {"port": 8001, "service": "inference"},
                "failureThreshold": 3,
                "periodSeconds": 10,
                "timeoutSeconds": 1,
            },
        ),
    ],
    ids=["http", "tcp", "exec", "grpc"],
)
def test_each_handler_renders_as_the_api_defines_it(
    serving: gm.Component, probe: gm.Probe, rendered: dict[str, Any]
) -> None:
    server = gm.CpuDeployment(serving, "api", image=IMAGE, readiness_probe=probe)
    assert _container(server)["readinessProbe"] == rendered


def test_allowing_sets_the_smallest_threshold_that_covers_the_budget() -> None:
    probe = gm.Probe.http("/health", initial_delay_seconds=60, period_seconds=15).allowing(seconds=3600)
    assert probe.failure_threshold == 237
    assert probe.failure_budget_seconds == 3600
    assert gm.Probe.tcp().allowing(seconds=0).failure_threshold == 1


def test_probes_without_a_port_are_only_the_given_ones(serving: gm.Component) -> None:
    worker = gm.CpuDeployment(serving, "worker", image=IMAGE, liveness_probe=gm.Probe.exec(["/bin/healthy"]))
    container = _container(worker)
    assert "readinessProbe" not in container
    assert "startupProbe" not in container
    assert container["livenessProbe"]["exec"] == {"command": ["/bin/healthy"]}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"readiness_probe": gm.Probe.http("/health")}, "readiness_probe reaches port 'http', but port is not set"),
        (
            {"port": 8000, "startup_probe": gm.Probe.tcp("metrics")},
            "startup_probe reaches port 'metrics', but the container's one port is 'http'",
        ),
        (
            {"port": 8000, "liveness_probe": gm.Probe.tcp(8000, success_threshold=2)},
            "liveness_probe: success_threshold=2; Kubernetes takes 1 for startup and liveness probes",
        ),
    ],
)
def test_probes_that_cannot_work_are_refused(serving: gm.Component, options: dict[str, Any], message: str) -> None:
    with pytest.raises(gm.InvalidInputError, match=message):
        gm.CpuDeployment(serving, "api", image=IMAGE, **options)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: gm.Probe.tcp(70000), "70000 is not a port number"),
        (lambda: gm.Probe.tcp("Http_Port"), "'Http_Port' is not a port number or a port name"),
        (lambda: gm.Probe.grpc("grpc"), "Probe.grpc: port=.grpc.: expected a whole number"),  # type: ignore[arg-type]
        (lambda: gm.Probe.http("health"), "path"),
        (lambda: gm.Probe.exec([]), "command"),
        (lambda: gm.Probe.tcp(period_seconds=0), "period_seconds"),
    ],
)
def test_bad_probes_are_refused_at_construction(build: Callable[[], object], message: str) -> None:
    with pytest.raises(gm.InvalidInputError, match=message):
        build()
