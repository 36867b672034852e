"""What starting the library costs: modules an app does not use are not imported.

Each case runs in a fresh interpreter, since the test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

from gpumanifests._kube.versions import L1_MODULE

_PROBE = """
import json, sys
import gpumanifests as gm
{use}
print(json.dumps(sorted(name for name in {watched!r} if name in sys.modules)))
"""
_SHELL = ("prompt_toolkit", "rich", "typer")
"""What ``import cel`` brings along for the package's interactive shell."""
_L1 = L1_MODULE.partition(".")[0]


def _imported(use: str, watched: tuple[str, ...]) -> list[str]:
    probe = _PROBE.format(use=use, watched=watched)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    found: list[str] = json.loads(result.stdout)
    return found


def test_cel_expressions_compile_and_evaluate_without_the_cel_shell() -> None:
    use = "\n".join(
        [
            "from gpumanifests._kube.cel import evaluate",
            'assert evaluate(\'quantity("1Gi").isGreaterThan(quantity("1Mi"))\', {}) is True',
            'gm.DeviceSelector.cel(\'device.attributes["gpu.nvidia.com"].productName == "H100"\')',
        ]
    )
    assert _imported(use, _SHELL) == []


def test_the_l1_bindings_load_on_first_use_only() -> None:
    assert _imported("gm.Cluster, gm.GpuJob", (_L1,)) == []
    assert _imported("gm.k8s.KubeConfigMap", (_L1,)) == [_L1]


def test_built_in_kinds_validate_without_importing_kubernetes_validate() -> None:
    """Its schemas are read from its directory; importing it would import jsonschema (about 0.1 s)."""
    use = "\n".join(
        [
            "from gpumanifests._kube.schemas import schema_errors",
            "manifest = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'x'}, 'data': {'k': 1}}",
            "assert schema_errors(manifest, version='1.37') == ['data.k: 1 is not of types \"null\", \"string\"']",
        ]
    )
    assert _imported(use, ("kubernetes_validate", "jsonschema")) == []


_JSII = ("cdk8s", "constructs", "jsii")
_APP_WITHOUT_L1 = """
app = gm.GitOpsApp()
nodes = [gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only(), cpu="8", memory="32Gi")]
cluster = gm.Cluster(app, "lab", nodes=nodes, repo=gm.GitRepo(url="https://git.example.com/gitops.git"))
nightly = gm.Construct(gm.Component(cluster, "jobs"), "nightly")
job = gm.CpuJob(nightly, "report", image="busybox:1.36.1")
job.add_json_patch(gm.JsonPatch.add("/spec/activeDeadlineSeconds", 600))
files = gm.synthesize(app).files
[report] = [path for path in files if path.startswith("clusters/lab/jobs/jobs_job_report")]
assert "activeDeadlineSeconds: 600" in files[report].decode()
"""


def test_an_app_without_l1_objects_never_starts_node() -> None:
    """Importing cdk8s or constructs loads their jsii assemblies into Node.js, starting it."""
    assert _imported(_APP_WITHOUT_L1, _JSII) == []


def test_the_first_l1_object_starts_node() -> None:
    use = "\n".join([_APP_WITHOUT_L1, 'gm.k8s.KubeConfigMap(nightly, "flags")'])
    assert _imported(use, _JSII) == list(_JSII)
