"""Container probes: how the kubelet decides a container has started, is ready, and is alive.

A probe runs every ``period_seconds`` once ``initial_delay_seconds`` have passed since the container
started, and gives up on it after ``failure_threshold`` failures in a row (each attempt times out
after ``timeout_seconds``): the kubelet restarts the container when a startup or liveness probe
gives up, and takes the pod out of its Services while a readiness probe fails. Until the startup
probe succeeds, the other two do not run. The fields default as the Kubernetes API defaults them.

The time a probe allows before it gives up, its failure budget, is at least
``initial_delay_seconds + (failure_threshold - 1) * period_seconds``: the first counted attempt
comes no earlier than the initial delay, and one follows every period (the kubelet's prober
worker, ``pkg/kubelet/prober/worker.go``). :meth:`Probe.allowing` sets the threshold from the
budget wanted.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

from pydantic import AfterValidator, Field

from gpumanifests._kube.limits import PORT_MAX
from gpumanifests._props import Int32, Props, parse_props

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Probe", "ProbeScheme", "named_port"]

_SERVICE_NAME = re.compile(r"(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?")


def _check_port(value: int | str) -> int | str:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a port")
    if isinstance(value, int):
        if not 1 <= value <= PORT_MAX:
            raise ValueError(f"{value} is not a port number (1-{PORT_MAX})")
        return value
    if not _SERVICE_NAME.fullmatch(value) or "--" in value:
        raise ValueError(
            f"{value!r} is not a port number or a port name (at most 15 lowercase letters, digits and "
            "single '-', with a letter, such as 'http')"
        )
    return value


PortRef = Annotated[int | str, AfterValidator(_check_port)]
"""A container port by number, or by the name the container gives it (Kubernetes' IntOrString)."""


class ProbeScheme(StrEnum):
    """The scheme of an HTTP probe."""

    HTTP = "HTTP"
    HTTPS = "HTTPS"
    """TLS without certificate verification, as the kubelet does."""


class _Handler(Props):
    """What a probe does; each subclass renders one handler of ``Probe``."""

    def to_kube(self) -> dict[str, Any]:
        raise NotImplementedError

    def reached_port(self) -> int | str | None:
        """The container port it reaches, if any."""
        return getattr(self, "port", None)


class _HttpGet(_Handler):
    path: str = Field(pattern=r"^/")
    port: PortRef
    scheme: ProbeScheme

    def to_kube(self) -> dict[str, Any]:
        return {"httpGet": {"path": self.path, "port": self.port, "scheme": str(self.scheme)}}


class _TcpSocket(_Handler):
    port: PortRef

    def to_kube(self) -> dict[str, Any]:
        return {"tcpSocket": {"port": self.port}}


class _Exec(_Handler):
    command: tuple[str, ...] = Field(min_length=1)

    def to_kube(self) -> dict[str, Any]:
        return {"exec": {"command": list(self.command)}}


class _Grpc(_Handler):
    port: int = Field(ge=1, le=PORT_MAX, strict=True)
    service: str | None = None

    def to_kube(self) -> dict[str, Any]:
        grpc: dict[str, Any] = {"port": self.port}
        if self.service is not None:
            grpc["service"] = self.service
        return {"grpc": grpc}


class _Timing(TypedDict, total=False):
    initial_delay_seconds: int
    period_seconds: int
    timeout_seconds: int
    failure_threshold: int
    success_threshold: int


class Probe(Props):
    """A startup, readiness or liveness probe of a container; made by the factories.

    **Usage**: ``readiness_probe=gm.Probe.http("/health")``,
    ``startup_probe=gm.Probe.http("/health").allowing(seconds=3600)``. Every factory takes the
    timing fields as keywords; omitted, they are Kubernetes' defaults (no initial delay, every 10 s,
    1 s timeout, 3 failures, 1 success).
    """

    handler: _Handler
    initial_delay_seconds: Int32 = Field(default=0, ge=0, strict=True)
    period_seconds: Int32 = Field(default=10, ge=1, strict=True)
    timeout_seconds: Int32 = Field(default=1, ge=1, strict=True)
    failure_threshold: Int32 = Field(default=3, ge=1, strict=True)
    success_threshold: Int32 = Field(default=1, ge=1, strict=True)

    @classmethod
    def http(
        cls,
        path: str = "/",
        *,
        port: int | str = "http",
        scheme: ProbeScheme = ProbeScheme.HTTP,
        **timing: Unpack[_Timing],
    ) -> Probe:
        """An HTTP GET of ``path`` on the pod's IP: a status from 200 to 399 is a success."""
        return cls(handler=parse_props(_HttpGet, "Probe.http", path=path, port=port, scheme=scheme), **timing)

    @classmethod
    def tcp(cls, port: int | str = "http", **timing: Unpack[_Timing]) -> Probe:
        """A TCP connection to ``port``: accepted is a success."""
        return cls(handler=parse_props(_TcpSocket, "Probe.tcp", port=port), **timing)

    @classmethod
    def exec(cls, command: list[str] | tuple[str, ...], **timing: Unpack[_Timing]) -> Probe:
        """``command`` run in the container: exit status 0 is a success."""
        return cls(handler=parse_props(_Exec, "Probe.exec", command=tuple(command)), **timing)

    @classmethod
    def grpc(cls, port: int, *, service: str | None = None, **timing: Unpack[_Timing]) -> Probe:
        """The gRPC health-checking protocol on ``port`` (a number: gRPC probes take no port names)."""
        return cls(handler=parse_props(_Grpc, "Probe.grpc", port=port, service=service), **timing)

    @property
    def failure_budget_seconds(self) -> int:
        """The least time from the container's start before the probe can give up on it."""
        return self.initial_delay_seconds + (self.failure_threshold - 1) * self.period_seconds

    def allowing(self, *, seconds: int) -> Probe:
        """This probe with the smallest ``failure_threshold`` whose failure budget is at least ``seconds``."""
        attempts = max(0, math.ceil((seconds - self.initial_delay_seconds) / self.period_seconds)) + 1
        return self.model_copy(update={"failure_threshold": attempts})

    def port(self) -> int | str | None:
        """The container port the probe reaches (None for an exec probe)."""
        return self.handler.reached_port()

    def to_kube(self) -> dict[str, Any]:
        """The ``Probe`` of a container; the timing fields are written out, the budget visible."""
        probe = self.handler.to_kube()
        if self.initial_delay_seconds:
            probe["initialDelaySeconds"] = self.initial_delay_seconds
        probe |= {
            "failureThreshold": self.failure_threshold,
            "periodSeconds": self.period_seconds,
            "timeoutSeconds": self.timeout_seconds,
        }
        if self.success_threshold != 1:
            probe["successThreshold"] = self.success_threshold
        return probe


def named_port(probe: Probe) -> str | None:
    """The port name a probe uses, when it reaches a port by name."""
    port = probe.port()
    return port if isinstance(port, str) else None
