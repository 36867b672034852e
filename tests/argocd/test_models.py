"""The typed Argo CD models: their documents pass the CRD schema, and bad input fails clearly."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpumanifests._argocd.models import (
    DEFAULT_SYNC_OPTIONS,
    IN_CLUSTER_SERVER,
    RESOURCES_FINALIZER,
    Application,
    AppProject,
    Destination,
    GitSource,
    GroupKind,
    Retry,
    SyncOption,
    SyncPolicy,
)
from gpumanifests._argocd.schema import validate_argocd_object
from gpumanifests._argocd.waves import SYNC_WAVE_ANNOTATION, WaveCycleError, sync_waves
from gpumanifests._errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = "https://github.com/acme/gitops.git"


def _source(**overrides: Any) -> GitSource:
    props: dict[str, Any] = {"repo_url": REPO, "target_revision": "main", "path": "gitops/clusters/prod/ml"}
    return GitSource(**{**props, **overrides})


def _application(**overrides: Any) -> Application:
    props: dict[str, Any] = {
        "name": "metal-ml-training",
        "project": "ml-platform",
        "source": _source(),
        "destination": Destination(namespace="ml-training"),
    }
    return Application(**{**props, **overrides})


def _project(**overrides: Any) -> AppProject:
    props: dict[str, Any] = {
        "name": "ml-platform",
        "description": "GPU training workloads",
        "source_repos": [REPO],
        "destinations": [Destination(namespace="ml-training")],
        "cluster_resource_whitelist": [GroupKind(group="", kind="Namespace")],
        "namespace_resource_whitelist": [GroupKind(group="batch", kind="Job")],
    }
    return AppProject(**{**props, **overrides})


def _message(build: Callable[[], object]) -> str:
    """The text of the InvalidInputError that ``build`` raises."""
    with pytest.raises(InvalidInputError) as caught:
        build()
    return str(caught.value)


# --- documents --------------------------------------------------------------------------------


def test_application_document() -> None:
    manifest = _application(sync_wave=2, labels={"team": "ml"}).to_manifest()
    assert manifest == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "metal-ml-training",
            "namespace": "argocd",
            "labels": {"team": "ml"},
            "annotations": {SYNC_WAVE_ANNOTATION: "2"},
            "finalizers": [RESOURCES_FINALIZER],
        },
        "spec": {
            "project": "ml-platform",
            "source": {
                "repoURL": REPO,
                "targetRevision": "main",
                "path": "gitops/clusters/prod/ml",
                "directory": {"recurse": False, "include": "*.yaml"},
            },
            "destination": {"server": IN_CLUSTER_SERVER, "namespace": "ml-training"},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True, "allowEmpty": False},
                "syncOptions": ["ServerSideApply=true", "PruneLast=true", "FailOnSharedResource=true"],
                "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
            },
        },
    }
    assert validate_argocd_object(manifest) == []


def test_app_project_document() -> None:
    manifest = _project(sync_wave=-1).to_manifest()
    assert manifest == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {
            "name": "ml-platform",
            "namespace": "argocd",
            "annotations": {SYNC_WAVE_ANNOTATION: "-1"},
            "finalizers": [RESOURCES_FINALIZER],
        },
        "spec": {
            "description": "GPU training workloads",
            "sourceRepos": [REPO],
            "destinations": [{"server": IN_CLUSTER_SERVER, "namespace": "ml-training"}],
            "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
            "namespaceResourceWhitelist": [{"group": "batch", "kind": "Job"}],
        },
    }
    assert validate_argocd_object(manifest) == []


@pytest.mark.parametrize(
    "model",
    [
        _application(finalizer=False, sync_wave=None),
        _application(destination=Destination(name="gpu-cluster", namespace="ml")),
        _application(source=_source(directory_recurse=True, include="{*.yaml,*.yml}", exclude="README*")),
        _application(source=_source(repo_url="git@github.com:acme/gitops.git", path=".")),
        _application(source=_source(repo_url="ssh://git@git.example.com:2222/acme/gitops.git")),
        _application(source=_source(repo_url="file:///srv/git/gitops", target_revision="0f3c9a1")),
        _application(sync_policy=SyncPolicy(prune=False, options=())),
        _application(sync_policy=SyncPolicy(options=tuple(SyncOption)[:7], retry=Retry(limit=-1))),
        _application(annotations={"notifications.argoproj.io/subscribe.on-sync-failed.slack": "ml"}),
        _project(namespace_resource_whitelist=None, cluster_resource_whitelist=[]),
        _project(destinations=[Destination(name="gpu-cluster", namespace="a"), Destination(namespace="b")]),
    ],
    ids=[
        "app-no-finalizer-no-wave",
        "app-cluster-by-name",
        "app-recurse-include-exclude",
        "app-scp-url-root-path",
        "app-ssh-url-with-port",
        "app-file-url-sha",
        "app-no-prune-no-options",
        "app-many-options-unlimited-retry",
        "app-extra-annotation",
        "project-open-namespaced-no-cluster-kinds",
        "project-two-destinations",
    ],
)
def test_every_model_variant_passes_the_crd_schema(model: Application | AppProject) -> None:
    assert validate_argocd_object(model.to_manifest()) == []


def test_keys_come_in_a_fixed_order() -> None:
    manifest = _application(sync_wave=0, labels={"b": "2", "a": "1"}, annotations={"z": "1", "a": "2"}).to_manifest()
    assert list(manifest) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(manifest["metadata"]) == ["name", "namespace", "labels", "annotations", "finalizers"]
    assert list(manifest["metadata"]["labels"]) == ["a", "b"]
    assert list(manifest["metadata"]["annotations"]) == ["a", SYNC_WAVE_ANNOTATION, "z"]
    assert list(manifest["spec"]) == ["project", "source", "destination", "syncPolicy"]
    assert list(manifest["spec"]["source"]) == ["repoURL", "targetRevision", "path", "directory"]
    assert list(manifest["spec"]["syncPolicy"]) == ["automated", "syncOptions", "retry"]
    project = _project().to_manifest()
    assert list(project["spec"]) == [
        "description",
        "sourceRepos",
        "destinations",
        "clusterResourceWhitelist",
        "namespaceResourceWhitelist",
    ]


def test_same_input_gives_byte_identical_json() -> None:
    assert json.dumps(_application().to_manifest()) == json.dumps(_application().to_manifest())


def test_finalizer_and_wave_are_optional() -> None:
    metadata = _application(finalizer=False).to_manifest()["metadata"]
    assert metadata == {"name": "metal-ml-training", "namespace": "argocd"}


def test_destination_by_name_drops_the_default_server() -> None:
    assert Destination(name="gpu-cluster", namespace="ml").to_dict() == {"name": "gpu-cluster", "namespace": "ml"}


def test_sync_options_accept_their_string_values() -> None:
    policy = SyncPolicy(options=("CreateNamespace=true", "PrunePropagationPolicy=orphan"))  # type: ignore[arg-type]
    assert policy.options == (SyncOption.CREATE_NAMESPACE, SyncOption.PRUNE_PROPAGATION_ORPHAN)
    assert SyncPolicy().options == DEFAULT_SYNC_OPTIONS


@given(
    wave=st.integers(min_value=-(2**31), max_value=2**31 - 1),
    options=st.sets(
        st.sampled_from([option for option in SyncOption if "=true" in option and "Replace" not in option])
    ),
    limit=st.integers(min_value=-1, max_value=100),
)
def test_any_valid_application_passes_the_schema(wave: int, options: set[SyncOption], limit: int) -> None:
    policy = SyncPolicy(options=tuple(sorted(options)), retry=Retry(limit=limit))
    manifest = _application(sync_wave=wave, sync_policy=policy).to_manifest()
    assert validate_argocd_object(manifest) == []
    assert manifest["metadata"]["annotations"][SYNC_WAVE_ANNOTATION] == str(wave)


# --- refused input: the message names the field, the value and what is allowed -----------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"repo_url": "github.com/acme/gitops"}, ["repo_url", "'github.com/acme/gitops'", "https://host/path"]),
        ({"repo_url": "http://github.com/acme/gitops"}, ["repo_url", "'http://github.com/acme/gitops'", "git URL"]),
        ({"repo_url": "https://github.com/"}, ["repo_url", "'https://github.com/'", "user@host:path"]),
        ({"repo_url": "https://me:token@github.com/a/b"}, ["repo_url", "without credentials"]),
        ({"repo_url": "git@github.com/acme/gitops"}, ["repo_url", "'git@github.com/acme/gitops'", "user@host:path"]),
        ({"repo_url": "https://github.com/acme/git ops"}, ["repo_url", "'https://github.com/acme/git ops'"]),
        ({"path": "/gitops/prod"}, ["path", "'/gitops/prod'", "must not start with '/'"]),
        ({"path": "gitops/../secrets"}, ["path", "'gitops/../secrets'", "'..' segment"]),
        ({"path": ""}, ["path", "''", "must be non-empty"]),
        ({"target_revision": "main branch"}, ["target_revision", "'main branch'", "no whitespace"]),
        ({"target_revision": "v1..v2"}, ["target_revision", "'v1..v2'", "'..'"]),
        ({"target_revision": ""}, ["target_revision", "''", "for example 'main'"]),
        ({"include": "{*.yaml,*.yml"}, ["include", "'{*.yaml,*.yml'", "balanced"]),
        ({"exclude": ""}, ["exclude", "''", "non-empty"]),
    ],
)
def test_git_source_refuses(overrides: dict[str, Any], expected: list[str]) -> None:
    message = _message(lambda: _source(**overrides))
    for text in expected:
        assert text in message


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {"server": "https://10.0.0.1:6443", "name": "gpu", "namespace": "ml"},
            ["server='https://10.0.0.1:6443' and name='gpu'", "exactly one of server"],
        ),
        ({"server": None, "namespace": "ml"}, ["server=None and name=None", "exactly one of server"]),
        ({"server": "http://kubernetes.default.svc", "namespace": "ml"}, ["server", "'http://kubernetes", "https://"]),
        ({"name": "gpu cluster", "namespace": "ml"}, ["name", "'gpu cluster'", "no whitespace"]),
        ({"namespace": "ML_Training"}, ["namespace", "'ML_Training'", "DNS-1123 label"]),
    ],
)
def test_destination_refuses(props: dict[str, Any], expected: list[str]) -> None:
    message = _message(lambda: Destination(**props))
    for text in expected:
        assert text in message


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {"options": ["CreateNamespace=True"]},
            [
                "options.0",
                "'CreateNamespace=True'",
                "did you mean 'CreateNamespace=true'?",
                "allowed: CreateNamespace=true",
            ],
        ),
        ({"options": ["ServerSideApply"]}, ["'ServerSideApply'", "is not an Argo CD sync option"]),
        (
            {"options": ["PrunePropagationPolicy=foreground", "PrunePropagationPolicy=orphan"]},
            ["options", "'PrunePropagationPolicy=foreground' and 'PrunePropagationPolicy=orphan'", "keep one"],
        ),
        (
            {"options": ["PruneLast=true", "PruneLast=true"]},
            ["'PruneLast=true' and 'PruneLast=true' both set PruneLast"],
        ),
        ({"options": ["Replace=true", "ServerSideApply=true"]}, ["'Replace=true' and 'ServerSideApply=true' conflict"]),
        ({"options": ["Prune=false"]}, ["prune=True", "'Prune=false'", "set prune=False or drop the option"]),
        ({"options": ["Delete=false", "Delete=confirm"]}, ["'Delete=false' and 'Delete=confirm' both set Delete"]),
    ],
)
def test_sync_policy_refuses(props: dict[str, Any], expected: list[str]) -> None:
    message = _message(lambda: SyncPolicy(**props))
    for text in expected:
        assert text in message


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"backoff_duration": "5"}, ["backoff_duration", "'5'", "not a Go duration", "for example '5s'"]),
        ({"backoff_duration": "-5s"}, ["backoff_duration", "'-5s'", "not a Go duration"]),
        ({"backoff_max_duration": "3 minutes"}, ["backoff_max_duration", "'3 minutes'", "units ns, us, ms, s, m or h"]),
        ({"backoff_duration": "0s"}, ["backoff_duration", "'0s' is zero", "longer than zero"]),
        (
            {"backoff_duration": "5m", "backoff_max_duration": "1m30s"},
            ["backoff_max_duration '1m30s' is shorter than backoff_duration '5m'"],
        ),
        ({"limit": -2}, ["limit", "retry limit -2 is below -1", "-1 for no limit"]),
        ({"backoff_factor": 0}, ["backoff_factor", "backoff factor 0 is below 1"]),
    ],
)
def test_retry_refuses(props: dict[str, Any], expected: list[str]) -> None:
    message = _message(lambda: Retry(**props))
    for text in expected:
        assert text in message


def test_go_durations_with_several_parts_and_fractions_are_accepted() -> None:
    retry = Retry(backoff_duration="1.5s", backoff_max_duration="1h2m3.5s")
    assert retry.to_dict()["backoff"] == {"duration": "1.5s", "factor": 2, "maxDuration": "1h2m3.5s"}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"project": "default"}, ["project", "'default' is Argo CD's built-in project", "create an AppProject"]),
        ({"name": "Metal_ML"}, ["name", "'Metal_ML'", "DNS-1123 label"]),
        (
            {"annotations": {SYNC_WAVE_ANNOTATION: "3"}},
            ["annotations", f"{SYNC_WAVE_ANNOTATION}='3'", "pass sync_wave=<int> instead"],
        ),
        ({"labels": {"team": "ml platform"}}, ["labels.team", "'ml platform'", "a label value"]),
        ({"source": {"repo_url": REPO, "target_revision": "main"}}, ["source.path", "is required"]),
        ({"sync_wave": "early"}, ["sync_wave", "'early'", "expected a whole number"]),
        ({"finalizers": ["x"]}, ["finalizers", "unknown argument (did you mean finalizer?); the arguments are:"]),
    ],
)
def test_application_refuses(overrides: dict[str, Any], expected: list[str]) -> None:
    message = _message(lambda: _application(**overrides))
    for text in expected:
        assert text in message


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"group": "", "kind": "*"}, ["kind", "'*'", "wildcards are not allowed"]),
        ({"group": "apps", "kind": "deployment"}, ["kind", "'deployment'", "starting with an uppercase letter"]),
        ({"group": "*", "kind": "Deployment"}, ["group", "'*'", "'' for the core group"]),
        ({"group": "Apps", "kind": "Deployment"}, ["group", "'Apps'", "DNS subdomain"]),
    ],
)
def test_group_kind_refuses(props: dict[str, Any], expected: list[str]) -> None:
    message = _message(lambda: GroupKind(**props))
    for text in expected:
        assert text in message


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name": "default"}, ["name", "'default' is Argo CD's built-in project"]),
        ({"description": "x" * 256}, ["description", "256 characters", "at most 255"]),
        ({"source_repos": []}, ["source_repos", "at least 1 item"]),
        ({"source_repos": ["*"]}, ["source_repos.0", "'*'", "git URL"]),
        ({"source_repos": [REPO, REPO]}, ["source_repos", f"'{REPO}' is listed twice"]),
        ({"destinations": []}, ["destinations", "at least 1 item"]),
        (
            {"destinations": [Destination(namespace="ml"), Destination(namespace="ml")]},
            ["destinations", "is listed twice"],
        ),
        (
            {"cluster_resource_whitelist": [GroupKind(group="", kind="Namespace")] * 2},
            ["cluster_resource_whitelist", "listed twice"],
        ),
        (
            {"namespace_resource_whitelist": []},
            ["namespace_resource_whitelist", "permits every namespaced kind", "pass None"],
        ),
    ],
)
def test_app_project_refuses(overrides: dict[str, Any], expected: list[str]) -> None:
    message = _message(lambda: _project(**overrides))
    for text in expected:
        assert text in message


def test_waves_put_each_node_one_after_its_deepest_dependency() -> None:
    waves = sync_waves({"ns": set(), "account": {"ns"}, "config": {"ns"}, "job": {"account", "config"}, "other": set()})
    assert waves == {"ns": 0, "account": 1, "config": 1, "job": 2, "other": 0}


def test_fails_on_a_dependency_cycle_naming_it() -> None:
    with pytest.raises(WaveCycleError) as raised:
        sync_waves({"a": {"b"}, "b": {"a"}})
    assert sorted(set(raised.value.cycle)) == ["a", "b"]
