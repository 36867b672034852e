"""The public boundary: wrong signatures and argument types are library errors, never tracebacks.

Each case is a call a careless user (or a fuzzer) makes through ``gm.*``; it must raise
``gm.InvalidInputError`` whose message names the object, the argument and what is accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import pytest

import gpumanifests as gm

if TYPE_CHECKING:
    from collections.abc import Callable

URL = "https://git.example.com/platform/gitops.git"
CPU = gm.NodeProfile.cpu_only()
NVIDIA = gm.NodeProfile.nvidia_cuda()
IMAGE = "busybox:1.36.1"


def _cluster(app: gm.GitOpsApp, name: str = "c") -> gm.Cluster:
    nodes = [gm.Node(name="cpu-1", profile=CPU), gm.Node(name="gpu-1", profile=NVIDIA, gpus=1)]
    return gm.Cluster(app, name, nodes=nodes, repo=gm.GitRepo(url=URL))


def _component(app: gm.GitOpsApp) -> gm.Component:
    return gm.Component(_cluster(app), "ml")


def _job(app: gm.GitOpsApp) -> gm.CpuJob:
    return gm.CpuJob(_component(app), "work", image=IMAGE)


def _other_cluster_dependency(app: gm.GitOpsApp) -> None:
    first = gm.Component(_cluster(app, "one"), "a")
    first.add_dependency(gm.Component(_cluster(app, "two"), "b"))


def _workload_after_l1_object(app: gm.GitOpsApp) -> None:
    component = _component(app)
    gm.k8s.KubeConfigMap(component, "x")
    gm.CpuJob(component, "x", image=IMAGE)


def _workload_after_l1_object_in_a_group(app: gm.GitOpsApp) -> None:
    group = gm.Construct(_component(app), "group")
    gm.k8s.KubeConfigMap(group, "x")
    gm.CpuJob(group, "x", image=IMAGE)


def _cdk8s_patch_for_a_resource(app: gm.GitOpsApp) -> None:
    import cdk8s

    gm.CpuJob(_component(app), "work", image=IMAGE).add_json_patch(cdk8s.JsonPatch.remove("/spec"))  # type: ignore[arg-type]


def _l1_in_a_chart_of_its_own(app: gm.GitOpsApp) -> None:
    import cdk8s

    gm.k8s.KubeConfigMap(cdk8s.Chart(cdk8s.App(), "mine"), "flags")


CASES: dict[str, tuple[Callable[[gm.GitOpsApp], object], tuple[str, ...]]] = {
    "missing-required-keyword": (
        lambda app: gm.CpuJob(_component(app), "work"),  # type: ignore[call-arg]
        ("CpuJob 'c/ml/work'", "image is required", "the arguments are: scope, id, image, active_deadline_seconds"),
    ),
    "unknown-keyword-of-a-function": (
        lambda app: gm.plan_cluster(_cluster(app), nodez=[]),  # type: ignore[call-arg]
        ("plan_cluster", "nodez: unknown argument", "the arguments are: cluster, nodes"),
    ),
    "positional-options": (
        lambda app: gm.Volume.empty_dir("scratch", "/scratch", "1Gi", True),  # type: ignore[misc]
        ("Volume.empty_dir", "too many positional arguments", "name=value"),
    ),
    "none-where-a-list-is-required": (
        lambda app: gm.Cluster(app, "c", nodes=None, repo=gm.GitRepo(url=URL)),  # type: ignore[arg-type]
        ("Cluster 'c'", "nodes=None", "expected a list of gm.Node"),
    ),
    "a-string-where-a-list-is-required": (
        lambda app: gm.Cluster(app, "c", nodes="cpu-1", repo=gm.GitRepo(url=URL)),  # type: ignore[arg-type]
        ("Cluster 'c'", "nodes='cpu-1'", "expected a list of gm.Node"),
    ),
    "dict-for-a-toleration": (
        lambda app: _job(app).tolerate({"key": "gpu"}),  # type: ignore[arg-type]
        ("CpuJob 'c/ml/work'.tolerate", "tolerations[0]={'key': 'gpu'}", "expected a gm.Toleration"),
    ),
    "dict-for-a-json-patch": (
        lambda app: _job(app).add_json_patch({"op": "add", "path": "/x"}),  # type: ignore[arg-type]
        ("CpuJob 'c/ml/work'.add_json_patch", "patches[0]=", "expected a gm.JsonPatch (gm.JsonPatch.add(path, value)"),
    ),
    "string-for-a-dependency": (
        lambda app: _job(app).add_dependency("other"),  # type: ignore[arg-type]
        ("CpuJob 'c/ml/work'.add_dependency", "resources[0]='other'", "expected a gm.Resource"),
    ),
    "component-under-a-component": (
        lambda app: gm.Component(_component(app), "inner"),  # type: ignore[arg-type]
        ("Component 'c/ml/inner'", "scope=<Component c/ml>", "expected a gm.Cluster"),
    ),
    "component-under-the-app": (
        lambda app: gm.Component(app, "inner"),  # type: ignore[arg-type]
        ("Component 'inner'", "scope=<GitOpsApp app>", "expected a gm.Cluster"),
    ),
    "workload-under-a-cluster": (
        lambda app: gm.CpuJob(_cluster(app), "work", image=IMAGE),
        ("CpuJob 'c/work'", "scope=<Cluster c>", "expected a gm.Component or a gm.Construct"),
    ),
    "dependency-on-another-cluster": (
        _other_cluster_dependency,
        ("Component 'one/a'.add_dependency", "'two/b' is in another cluster", "same cluster"),
    ),
    "l1-id-taken-by-a-workload": (
        lambda app: gm.k8s.KubeConfigMap(_job(app).component, "work", metadata={"name": "work"}),
        ("gm.k8s.KubeConfigMap 'work'", "id 'work' is already used under 'c/ml'", "rename one"),
    ),
    "misspelt-argument": (
        lambda app: gm.Component(_cluster(app), "jobs", namespase="batch"),
        ("Component 'c/jobs'", "namespase: unknown argument (did you mean namespace?)", "the arguments are: scope"),
    ),
    "misspelt-option": (
        lambda app: gm.CpuJob(gm.Component(_cluster(app), "ml"), "work", image=IMAGE, comand=["true"]),
        ("CpuJob 'work'", "comand: unknown argument (did you mean command?)", "the arguments are:"),
    ),
    "l1-object-inside-a-workload": (
        lambda app: gm.k8s.KubeConfigMap(_job(app), "settings", metadata={"name": "settings"}),
        ("gm.k8s.KubeConfigMap 'c/ml/work/settings'", "scope is a CpuJob, which holds no L1 objects", "component"),
    ),
    "l1-unknown-key-in-a-list-item": (
        lambda app: gm.k8s.KubePod(
            _component(app), "pod", metadata={"name": "pod"}, spec={"containers": [{"name": "a", "imagee": IMAGE}]}
        ),
        (
            "gm.k8s.KubePod 'c/ml/pod'",
            "spec.containers[0]: 'imagee' is not a field of Container (did you mean image?)",
            "its fields are: args, command",
        ),
    ),
    "l1-unknown-key-in-a-struct-list": (
        lambda app: gm.k8s.PodSpec(
            containers=[{"name": "a", "image": IMAGE, "ports": [{"containerPort": 80, "protocl": "TCP"}]}]
        ),
        (
            "gm.k8s.PodSpec",
            "containers[0].ports[0]: 'protocl' is not a field of ContainerPort (did you mean protocol?)",
        ),
    ),
    "misspelt-required-argument": (
        lambda app: gm.CpuJob(_component(app), "work", imag=IMAGE),  # type: ignore[call-arg]
        ("CpuJob 'c/ml/work'", "imag: unknown argument (did you mean image?)"),
    ),
    "number-for-a-quantity": (
        lambda app: gm.CpuJob(_component(app), "work", image=IMAGE, cpu=1),  # type: ignore[arg-type]
        ("CpuJob 'work'", "cpu=1: a quantity is a string: write '1'"),
    ),
    "misspelt-model-field-in-capitals": (
        lambda app: gm.GitRepo(URL=URL),  # type: ignore[call-arg]
        ("GitRepo: URL=", "unknown argument (did you mean url?)"),
    ),
    "l1-outside-a-component": (
        lambda app: gm.k8s.KubeConfigMap(_cluster(app), "flags"),
        ("gm.k8s.KubeConfigMap 'c/flags'", "scope 'c' (Cluster) is not inside a Component"),
    ),
    "construct-outside-a-component": (
        lambda app: gm.Construct(_cluster(app), "group"),  # type: ignore[arg-type]
        ("Construct 'c/group'", "scope=<Cluster c>", "expected a gm.Component or a gm.Construct"),
    ),
    "find-child-that-is-not-there": (
        lambda app: _component(app).node.find_child("api"),
        ("'c/ml' has no child 'api'", "its children are: none"),
    ),
    "patch-with-an-unknown-op": (
        lambda app: gm.JsonPatch({"op": "append", "path": "/spec/x", "value": 1}),
        ("JsonPatch: op='append'", "expected one of 'add', 'remove', 'replace', 'move', 'copy', 'test'"),
    ),
    "patch-without-its-value": (
        lambda app: gm.JsonPatch({"op": "add", "path": "/spec/x"}),
        ("JsonPatch 'add': 'value' is missing", "the 'add' operation has op, path, value"),
    ),
    "patch-path-not-a-pointer": (
        lambda app: gm.JsonPatch({"op": "remove", "path": 3}),
        ("JsonPatch 'remove': path=3", "expected a JSON pointer string"),
    ),
    "construct-id-not-a-dns-label": (
        lambda app: gm.Construct(_component(app), "a/b"),
        ("Construct 'c/ml/a/b'", "id='a/b'"),
    ),
    "l1-scope-none": (
        lambda app: gm.k8s.KubeConfigMap(None, "flags"),
        ("gm.k8s.KubeConfigMap 'flags'", "scope=None: expected a gm.Component or a gm.Construct"),
    ),
    "l1-in-a-chart-outside-the-app": (
        _l1_in_a_chart_of_its_own,
        ("gm.k8s.KubeConfigMap 'mine/flags'", "outside the app's clusters", "never synthesized"),
    ),
    "patch-op-not-a-string": (
        lambda app: gm.JsonPatch({"op": ["add"], "path": "/a", "value": 1}),
        ("JsonPatch: op=['add']", "expected one of 'add'"),
    ),
    "patch-value-not-json": (
        lambda app: gm.JsonPatch.add("/metadata/annotations", {"a": {1, 2}}),
        ("JsonPatch 'add' /metadata/annotations", "value.a={1, 2} is a set", "expected JSON"),
    ),
    "patch-path-without-a-slash": (
        lambda app: gm.JsonPatch.remove("spec/x"),
        ("JsonPatch 'remove': path", "'spec/x' is not a JSON pointer: it must be empty or start with '/'"),
    ),
    "patch-path-with-a-bad-escape": (
        lambda app: gm.JsonPatch.add("/metadata/labels/a~2b", "x"),
        ("JsonPatch 'add': path", "'~' is written '~0' and '/' '~1'"),
    ),
    "cdk8s-patch-for-a-resource": (
        _cdk8s_patch_for_a_resource,
        ("CpuJob 'c/ml/work'.add_json_patch", "patches[0]=a cdk8s.JsonPatch: expected a gm.JsonPatch"),
    ),
    "patch-operation-not-a-dict": (
        lambda app: gm.JsonPatch("add"),  # type: ignore[arg-type]
        ("JsonPatch", "operation='add': expected a dict of str to any value"),
    ),
    "l1-id-taken-in-a-group": (
        _workload_after_l1_object_in_a_group,
        ("CpuJob 'x'", "id 'x' is already used under 'c/ml/group'"),
    ),
    "l1-same-field-twice": (
        lambda app: gm.k8s.PodSpec(
            containers=[{"name": "a", "image": IMAGE, "imagePullPolicy": "Always", "image_pull_policy": "Never"}]
        ),
        ("gm.k8s.PodSpec: containers[0]", "'imagePullPolicy' and 'image_pull_policy' are the same field of Container"),
    ),
    "l1-misspelt-argument": (
        lambda app: gm.k8s.KubeConfigMap(_component(app), "settings", metadta={"name": "settings"}),
        ("gm.k8s.KubeConfigMap 'c/ml/settings'", "metadta: unknown argument (did you mean metadata?)", "binary_data"),
    ),
    "l1-string-for-a-quantity": (
        lambda app: gm.k8s.ResourceRequirements(limits={"cpu": "1"}),
        ("gm.k8s.ResourceRequirements", "limits['cpu']='1': expected a gm.k8s.Quantity", "Quantity.from_string('1')"),
    ),
    "workload-id-taken-by-an-l1-object": (
        _workload_after_l1_object,
        ("CpuJob 'x'", "id 'x' is already used under 'c/ml'", "rename one"),
    ),
    "l1-argument-of-the-wrong-type": (
        lambda app: gm.k8s.KubeConfigMap(_component(app), "settings", data="LOG_LEVEL=info"),
        ("gm.k8s.KubeConfigMap 'c/ml/settings'", "data"),
    ),
    "bool-for-a-count": (
        lambda app: gm.Probe.tcp(8080, period_seconds=True),
        ("Probe", "period_seconds=True", "expected a whole number"),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_wrong_call_is_an_invalid_input_error(case: tuple[Callable[[gm.GitOpsApp], Any], tuple[str, ...]]) -> None:
    build, expected = case
    with pytest.raises(gm.InvalidInputError) as error:
        build(gm.GitOpsApp())
    missing = [part for part in expected if part not in str(error.value)]
    assert not missing, f"{missing} not in:\n{error.value}"


def test_l1_dicts_in_lists_take_either_spelling_and_keep_every_key() -> None:
    """A dict inside a list used to reach Node.js as it was, which dropped snake_case keys silently."""
    containers = [
        {"name": "api", "image": IMAGE, "imagePullPolicy": "Always"},
        {"name": "snake", "image": IMAGE, "image_pull_policy": "Never", "ports": [{"container_port": 80}]},
    ]
    pod = gm.k8s.KubePod(_component(gm.GitOpsApp()), "pod", metadata={"name": "pod"}, spec={"containers": containers})
    rendered = pod.to_json()["spec"]["containers"]
    assert [(c["name"], c["imagePullPolicy"]) for c in rendered] == [("api", "Always"), ("snake", "Never")]
    assert rendered[1]["ports"] == [{"containerPort": 80}]


def test_l1_structs_whose_annotations_cannot_be_resolved_still_check_their_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gpumanifests import _l1

    def unresolvable(*args: object, **kwargs: object) -> NoReturn:
        raise NameError("name 'Unknown' is not defined")

    _l1._arguments.cache_clear()
    monkeypatch.setattr(_l1, "get_type_hints", unresolvable)
    try:
        spec = gm.k8s.PodSpec(containers=[{"name": "a", "image": IMAGE}])
        assert spec.containers[0]["name"] == "a"  # left as it was, with no types to say it is a Container
        with pytest.raises(
            gm.InvalidInputError, match=r"gm\.k8s\.PodSpec: contianers: unknown argument \(did you mean"
        ):
            gm.k8s.PodSpec(contianers=[])
    finally:
        _l1._arguments.cache_clear()


def test_l1_dicts_take_the_apis_spelling_of_acronyms_and_any_value_where_any_goes() -> None:
    """jsii spells ``hostIP`` ``hostIp`` and ``openAPIV3Schema`` ``openApiv3Schema``; the API's names fold to them."""
    component = _component(gm.GitOpsApp())
    port = {"containerPort": 80, "hostIP": "10.0.0.1"}
    pod = gm.k8s.KubePod(
        component, "pod", spec={"hostIPC": True, "containers": [{"name": "a", "image": IMAGE, "ports": [port]}]}
    )
    assert pod.to_json()["spec"] == {"hostIPC": True, "containers": [{"name": "a", "image": IMAGE, "ports": [port]}]}
    schema = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {"size": {"type": "string", "enum": ["s", "m"], "default": "s"}},
    }
    version = {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
    names = {"kind": "Widget", "plural": "widgets"}
    spec = {"group": "example.com", "names": names, "scope": "Namespaced", "versions": [version]}
    crd = gm.k8s.KubeCustomResourceDefinition(component, "crd", metadata={"name": "widgets.example.com"}, spec=spec)
    assert crd.to_json()["spec"]["versions"][0]["schema"] == {"openAPIV3Schema": schema}


def test_a_right_call_is_unchanged_by_the_boundary() -> None:
    """The control: the same calls with the right arguments go through."""
    app = gm.GitOpsApp()
    job = _job(app)
    exists = gm.TolerationOperator.EXISTS
    job.tolerate(gm.Toleration(key="example.com/maintenance", operator=exists, effect=gm.TaintEffect.NO_SCHEDULE))
    job.add_json_patch(gm.JsonPatch.add("/spec/activeDeadlineSeconds", 600))
    assert gm.synthesize(app).files


# -- JSON patches apply as RFC 6902 says -------------------------------------------------------------


def _patched(*patches: Any) -> gm.SynthError | dict[str, Any]:
    app = gm.GitOpsApp()
    job = gm.CpuDeployment(_component(app), "api", image=IMAGE)
    job.add_json_patch(*patches)
    try:
        gm.synthesize(app)
    except gm.SynthError as error:
        return error
    return job.render()[0].manifest


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (gm.JsonPatch.remove("/spec/paused"), "JSON patch 1 (remove /spec/paused) cannot be applied: there is no"),
        (gm.JsonPatch.replace("/spec/nothing/deeper", 1), "there is no value at /spec/nothing"),
        (gm.JsonPatch.add("/spec/template/spec/containers/7", {}), "cannot add /spec/template/spec/containers/7"),
        (gm.JsonPatch.test("/spec/replicas", 3), "the value at /spec/replicas is not 3"),
        (gm.JsonPatch.move("/spec", "/spec/inner"), "cannot move /spec into itself"),
        (gm.JsonPatch.remove(""), "no Kubernetes object"),
    ],
)
def test_a_json_patch_that_cannot_apply_fails_the_synth(patch: Any, expected: str) -> None:
    result = _patched(patch)
    assert isinstance(result, gm.SynthError)
    assert "[c/ml/api]" in str(result)
    assert expected in str(result)


def test_a_json_patch_written_as_rfc_6902_applies_like_its_factory() -> None:
    written = _patched(gm.JsonPatch({"op": "copy", "from": "/metadata/name", "path": "/metadata/labels/copied"}))
    made = _patched(gm.JsonPatch.copy("/metadata/name", "/metadata/labels/copied"))
    assert isinstance(written, dict)
    assert written == made
    assert written["metadata"]["labels"]["copied"] == "api"


def test_json_patches_apply_in_order_with_json_pointer_escapes() -> None:
    manifest = _patched(
        gm.JsonPatch.add("/metadata/labels/example.com~1note", "a"),
        gm.JsonPatch.copy("/metadata/labels/example.com~1note", "/metadata/labels/example.com~1copy"),
        gm.JsonPatch.move("/metadata/labels/example.com~1copy", "/metadata/labels/example.com~1moved"),
        gm.JsonPatch.replace("/spec/replicas", 2),
        gm.JsonPatch.test("/spec/replicas", 2),
        gm.JsonPatch.add("/spec/template/spec/containers/0/args", ["--verbose"]),
        gm.JsonPatch.add("/spec/template/spec/containers/0/args/-", "--debug"),
    )
    assert isinstance(manifest, dict)
    labels = manifest["metadata"]["labels"]
    assert labels["example.com/note"] == "a"
    assert labels["example.com/moved"] == "a"
    assert "example.com/copy" not in labels
    assert manifest["spec"]["replicas"] == 2
    assert manifest["spec"]["template"]["spec"]["containers"][0]["args"] == ["--verbose", "--debug"]
