"""The node-profile catalog matches its sources exactly, and profiles are immutable values.

The Metal profile is read off the seed (metal-gpu-implementation-summary.md); NVIDIA off the
seed's migration section plus the NVIDIA device plugin's resource names; AMD off the ROCm
device plugin; Intel off the Intel GPU device plugin.
"""

from __future__ import annotations

import re

import pydantic
import pytest

import gpumanifests as gm

NO_SCHEDULE = gm.TaintEffect.NO_SCHEDULE


class TestAppleMetal:
    profile = gm.NodeProfile.apple_metal()

    def test_node_labels_are_exactly_the_seed_labels(self) -> None:
        assert self.profile.node_labels == {
            "apple.com/gpu": "true",
            "gpu-type": "metal",
            "gpu-vendor": "apple",
            "node-role": "gpu-worker",
        }

    def test_taint_is_exactly_the_seed_taint(self) -> None:
        assert [str(taint) for taint in self.profile.taints] == ["apple.com/gpu=present:NoSchedule"]
        assert self.profile.taints == (gm.Taint(key="apple.com/gpu", value="present", effect=NO_SCHEDULE),)

    def test_toleration_names_key_value_and_effect_like_the_seed(self) -> None:
        assert [toleration.to_dict() for toleration in self.profile.tolerations] == [
            {"key": "apple.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
        ]

    def test_env_is_exactly_the_seed_env(self) -> None:
        assert self.profile.env == {"TF_METAL_DEVICE_PLACEMENT": "true", "PYTORCH_ENABLE_MPS_FALLBACK": "1"}

    def test_tensorflow_image_is_the_seed_image(self) -> None:
        assert self.profile.image_for(gm.Framework.TENSORFLOW) == "tensorflow/tensorflow:latest"

    def test_has_no_extended_resource_and_no_runtime_class(self) -> None:
        assert self.profile.gpu_resource is None
        assert self.profile.runtime_class_name is None

    def test_vendor_is_apple_and_it_is_a_gpu_profile(self) -> None:
        assert self.profile.vendor is gm.Vendor.APPLE
        assert self.profile.is_gpu

    def test_docstring_states_linux_containers_cannot_reach_the_metal_gpu(self) -> None:
        doc = " ".join((gm.NodeProfile.apple_metal.__doc__ or "").split())
        assert "Linux containers cannot reach the Metal GPU" in doc


class TestNvidiaCuda:
    profile = gm.NodeProfile.nvidia_cuda()

    def test_nodes_are_selected_on_the_gpu_operators_presence_label_which_the_tree_never_sets(self) -> None:
        assert self.profile.node_labels == {"nvidia.com/gpu.present": "true"}
        assert self.profile.discovered_labels == {"nvidia.com/gpu.present": "true"}
        assert self.profile.managed_labels == {}

    def test_the_seeds_planned_labels_are_the_presence_label_plus_one_label_the_tree_sets(self) -> None:
        seed_plan = gm.NodeProfile.nvidia_cuda(labels={"gpu-type": "cuda"})
        assert seed_plan.identity_labels == {"nvidia.com/gpu.present": "true", "gpu-type": "cuda"}
        assert seed_plan.managed_labels == {"gpu-type": "cuda"}

    def test_one_product_is_a_label_every_node_carries(self) -> None:
        a100 = gm.NodeProfile.nvidia_cuda(name="a100", product="NVIDIA-A100-SXM4-80GB")
        assert a100.node_labels["nvidia.com/gpu.product"] == "NVIDIA-A100-SXM4-80GB"
        assert {"key": "nvidia.com/gpu.product", "operator": "In", "values": ["NVIDIA-A100-SXM4-80GB"]} in (
            a100.node_selector_requirements()
        )

    def test_two_pools_with_different_products_are_told_apart_by_the_catalog_alone(self) -> None:
        a100 = gm.NodeProfile.nvidia_cuda(name="a100", product="NVIDIA-A100-SXM4-80GB")
        l4 = gm.NodeProfile.nvidia_cuda(name="l4", product="NVIDIA-L4")
        a100_node = {"nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}
        l4_node = {"nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-L4"}
        assert (a100.matches_labels(a100_node), a100.matches_labels(l4_node)) == (True, False)
        assert (l4.matches_labels(a100_node), l4.matches_labels(l4_node)) == (False, True)

    def test_several_products_select_any_of_them_with_one_in_expression(self) -> None:
        either = gm.NodeProfile.nvidia_cuda(product=["NVIDIA-L4", "NVIDIA-L40S"])
        assert either.selectors == (
            gm.NodeRequirement(
                key="nvidia.com/gpu.product", operator=gm.NodeOperator.IN, values=("NVIDIA-L4", "NVIDIA-L40S")
            ),
        )
        labels = {"nvidia.com/gpu.present": "true"}
        assert either.matches_labels({**labels, "nvidia.com/gpu.product": "NVIDIA-L40S"})
        assert not either.matches_labels({**labels, "nvidia.com/gpu.product": "NVIDIA-A10G"})

    def test_min_memory_selects_gpus_with_at_least_that_many_mib(self) -> None:
        big = gm.NodeProfile.nvidia_cuda(min_memory="40Gi")
        assert [selector.to_dict() for selector in big.selectors] == [
            {"key": "nvidia.com/gpu.memory", "operator": "Gt", "values": ["40959"]}
        ]
        labels = {"nvidia.com/gpu.present": "true"}
        assert big.matches_labels({**labels, "nvidia.com/gpu.memory": "40960"})  # an A100-40GB
        assert not big.matches_labels({**labels, "nvidia.com/gpu.memory": "23034"})  # an L4
        assert not big.matches_labels(labels)  # the label missing: the scheduler's rule

    def test_an_80gb_h100_publishes_less_than_80gi(self) -> None:
        """GFD's label is NVML's usable total: 81559 MiB on an H100 80GB HBM3, 81920 on an A100 80GB."""
        labels = {"nvidia.com/gpu.present": "true"}
        h100, a100 = {**labels, "nvidia.com/gpu.memory": "81559"}, {**labels, "nvidia.com/gpu.memory": "81920"}
        decimal, binary = gm.NodeProfile.nvidia_cuda(min_memory="80G"), gm.NodeProfile.nvidia_cuda(min_memory="80Gi")
        assert decimal.matches_labels(h100)
        assert decimal.matches_labels(a100)
        assert not binary.matches_labels(h100)
        assert binary.matches_labels(a100)

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ({"product": []}, "product is empty"),
            ({"product": "NVIDIA A100"}, "product: 'NVIDIA A100'"),
            ({"min_memory": "lots"}, "min_memory: "),
            ({"min_memory": "1Ki"}, "less than 1Mi"),
        ],
    )
    def test_bad_product_or_memory_is_refused_naming_the_argument(
        self, arguments: dict[str, object], message: str
    ) -> None:
        with pytest.raises(gm.InvalidInputError, match=re.escape(message)):
            gm.NodeProfile.nvidia_cuda(**arguments)  # type: ignore[arg-type]

    def test_toleration_is_exists_on_nvidia_gpu_no_schedule_like_the_seed(self) -> None:
        assert [toleration.to_dict() for toleration in self.profile.tolerations] == [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
        ]

    def test_tensorflow_image_is_the_gpu_build(self) -> None:
        assert self.profile.image_for(gm.Framework.TENSORFLOW) == "tensorflow/tensorflow:latest-gpu"

    def test_extended_resource_is_nvidia_com_gpu(self) -> None:
        assert self.profile.gpu_resource == "nvidia.com/gpu"

    def test_gpu_env_sets_driver_capabilities(self) -> None:
        assert self.profile.env == {"NVIDIA_DRIVER_CAPABILITIES": "compute,utility"}

    def test_cpu_containers_hide_the_gpus(self) -> None:
        assert self.profile.cpu_env == {"NVIDIA_VISIBLE_DEVICES": "void"}

    def test_runtime_class_is_unset_by_default_and_set_on_request(self) -> None:
        assert self.profile.runtime_class_name is None
        assert gm.NodeProfile.nvidia_cuda(runtime_class_name="nvidia").runtime_class_name == "nvidia"

    def test_mig_slice_requests_the_mixed_strategy_resource(self) -> None:
        assert gm.NodeProfile.nvidia_cuda(mig_slice="3g.20gb").gpu_resource == "nvidia.com/mig-3g.20gb"

    @pytest.mark.parametrize("shared", ["time-slicing", "mps"])
    def test_shared_gpus_request_the_renamed_shared_resource(self, shared: str) -> None:
        assert gm.NodeProfile.nvidia_cuda(shared=shared).gpu_resource == "nvidia.com/gpu.shared"  # type: ignore[arg-type]

    def test_fails_mig_and_sharing_together(self) -> None:
        with pytest.raises(ValueError, match="exclusive"):
            gm.NodeProfile.nvidia_cuda(mig_slice="1g.5gb", shared="mps")


class TestAmdRocm:
    profile = gm.NodeProfile.amd_rocm()

    def test_extended_resource_is_amd_com_gpu(self) -> None:
        assert self.profile.gpu_resource == "amd.com/gpu"

    def test_labels_the_amd_gpu_operator_publishes_and_the_taint_identify_amd_nodes(self) -> None:
        assert self.profile.node_labels == {"feature.node.kubernetes.io/amd-gpu": "true"}
        assert gm.NodeProfile.amd_rocm(product="Instinct_MI300X").node_labels["amd.com/gpu.product-name"] == (
            "Instinct_MI300X"
        )
        assert [str(taint) for taint in self.profile.taints] == ["amd.com/gpu=present:NoSchedule"]
        assert self.profile.vendor is gm.Vendor.AMD


class TestIntelGpu:
    @pytest.mark.parametrize("driver", ["i915", "xe"])
    def test_extended_resource_follows_the_kernel_driver(self, driver: str) -> None:
        profile = gm.NodeProfile.intel_gpu(driver=driver)  # type: ignore[arg-type]
        assert profile.gpu_resource == f"gpu.intel.com/{driver}"
        assert profile.vendor is gm.Vendor.INTEL

    def test_default_driver_is_i915(self) -> None:
        assert gm.NodeProfile.intel_gpu().gpu_resource == "gpu.intel.com/i915"


class TestCpuOnly:
    profile = gm.NodeProfile.cpu_only()

    def test_has_no_labels_no_taints_no_resource_no_env(self) -> None:
        assert self.profile.node_labels == {}
        assert self.profile.taints == ()
        assert self.profile.tolerations == ()
        assert self.profile.gpu_resource is None
        assert self.profile.env == {}

    def test_is_not_a_gpu_profile(self) -> None:
        assert self.profile.vendor is gm.Vendor.NONE
        assert not self.profile.is_gpu


def test_catalog_is_metal_nvidia_amd_intel_and_cpu() -> None:
    assert [profile.vendor for profile in gm.NodeProfile.catalog()] == [
        gm.Vendor.APPLE,
        gm.Vendor.NVIDIA,
        gm.Vendor.AMD,
        gm.Vendor.INTEL,
        gm.Vendor.NONE,
    ]


def test_every_catalog_gpu_profile_has_taints_and_labels() -> None:
    for profile in gm.NodeProfile.catalog():
        if profile.is_gpu:
            assert profile.taints, profile.name
            assert profile.node_labels, profile.name


def test_user_defined_profile_uses_the_same_model() -> None:
    profile = gm.NodeProfile(
        name="habana",
        vendor=gm.Vendor.INTEL,
        accelerator_labels={"habana.ai/gaudi": "true"},
        pool_labels={"node-role": "gpu-worker"},
        taints=(gm.Taint(key="habana.ai/gaudi", value="present", effect=NO_SCHEDULE),),
        toleration_operator=gm.TolerationOperator.EXISTS,
        gpu_resource="habana.ai/gaudi",
        images={gm.Framework.PYTORCH: "vault.habana.ai/gaudi-docker/pytorch:1.18.0"},
        env={"HABANA_VISIBLE_MODULES": "all"},
    )
    assert profile.node_labels == {"habana.ai/gaudi": "true", "node-role": "gpu-worker"}
    assert [toleration.to_dict() for toleration in profile.tolerations] == [
        {"key": "habana.ai/gaudi", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert profile.node_selector_requirements() == [
        {"key": "habana.ai/gaudi", "operator": "In", "values": ["true"]},
        {"key": "node-role", "operator": "In", "values": ["gpu-worker"]},
    ]


@pytest.mark.parametrize("profile", gm.NodeProfile.catalog(), ids=lambda profile: profile.name)
def test_profiles_are_frozen(profile: gm.NodeProfile) -> None:
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        profile.name = "other"  # type: ignore[misc]


def test_taints_and_tolerations_are_frozen() -> None:
    taint = gm.Taint(key="apple.com/gpu", value="present", effect=NO_SCHEDULE)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        taint.value = "absent"  # type: ignore[misc]


def test_fails_an_exists_toleration_with_a_value() -> None:
    with pytest.raises(ValueError, match="Exists"):
        gm.Toleration(key="nvidia.com/gpu", operator=gm.TolerationOperator.EXISTS, value="present", effect=NO_SCHEDULE)


def test_fails_a_gpu_resource_without_a_domain() -> None:
    with pytest.raises(ValueError, match="extended resource"):
        gm.NodeProfile(name="x", vendor=gm.Vendor.NVIDIA, gpu_resource="gpu")


def test_fails_a_label_key_in_both_accelerator_and_pool_labels() -> None:
    with pytest.raises(ValueError, match="both accelerator_labels and pool_labels"):
        gm.NodeProfile(
            name="x", vendor=gm.Vendor.AMD, accelerator_labels={"gpu-type": "a"}, pool_labels={"gpu-type": "b"}
        )


class TestNodeRequirement:
    @pytest.mark.parametrize(
        ("operator", "values"),
        [
            (gm.NodeOperator.IN, ()),
            (gm.NodeOperator.EXISTS, ("x",)),
            (gm.NodeOperator.GT, ("1", "2")),
            (gm.NodeOperator.LT, ("2.0",)),  # the API server would take it; the scheduler then matches nothing
        ],
    )
    def test_values_must_fit_the_operator(self, operator: gm.NodeOperator, values: tuple[str, ...]) -> None:
        with pytest.raises(gm.InvalidInputError, match="Gt and Lt exactly one integer"):
            gm.NodeRequirement(key="k", operator=operator, values=values)

    def test_a_selector_key_cannot_also_be_a_fixed_label(self) -> None:
        l4 = gm.NodeProfile.nvidia_cuda(product="NVIDIA-L4").model_dump()
        l4["selectors"] = [gm.NodeRequirement(key="nvidia.com/gpu.product", operator=gm.NodeOperator.EXISTS)]
        with pytest.raises(
            gm.InvalidInputError, match=r"in both discovered_labels and selectors; give each label key once"
        ):
            gm.NodeProfile(**l4)


class TestDeclaredNodesOfASelectingProfile:
    big = gm.NodeProfile.nvidia_cuda(name="big", min_memory="40Gi")

    def test_a_node_must_meet_its_profiles_selectors(self) -> None:
        with pytest.raises(
            gm.InvalidInputError,
            match=r"does not meet profile 'big''s selector\(s\) \['nvidia.com/gpu.memory Gt 40959'\]",
        ):
            gm.Node(name="gpu-1", profile=self.big, gpus=1)

    def test_its_discovered_labels_join_the_profiles_labels(self) -> None:
        node = gm.Node(name="gpu-1", profile=self.big, gpus=1, discovered_labels={"nvidia.com/gpu.memory": "81920"})
        assert node.labels == {"nvidia.com/gpu.memory": "81920", "nvidia.com/gpu.present": "true"}

    def test_it_may_not_override_a_fixed_label(self) -> None:
        with pytest.raises(
            gm.InvalidInputError, match=r"discovered_labels \['nvidia.com/gpu.present'\] are fixed by profile"
        ):
            gm.Node(name="gpu-1", profile=self.big, gpus=1, discovered_labels={"nvidia.com/gpu.present": "false"})
