"""The YAML writer: canonical key order, and every value reads back unchanged in YAML 1.1 and 1.2."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from gpumanifests._kube.yaml import dump_yaml

TRAPS = ["on", "off", "yes", "no", "y", "n", "~", "null", "0755", "1:20", "2026-11-29", "1e3", ".inf", "true", "", " x"]

scalars = st.one_of(
    st.text(max_size=20),
    st.sampled_from(TRAPS),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.booleans(),
    st.none(),
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(document=st.dictionaries(st.text(min_size=1, max_size=10), documents, max_size=6))
def test_every_document_reads_back_unchanged_as_yaml_1_1_and_1_2(document: dict[str, Any]) -> None:
    text = dump_yaml(document)
    assert yaml.safe_load(text) == document
    assert YAML(typ="safe", pure=True).load(text) == document


def test_traps_are_quoted_for_yaml_1_1_readers() -> None:
    text = dump_yaml({"values": TRAPS})
    assert yaml.safe_load(text) == {"values": TRAPS}
    assert "- 'on'" in text
    assert "- '0755'" in text


def test_kubernetes_keys_come_first_then_alphabetical() -> None:
    text = dump_yaml(
        {"spec": {}, "metadata": {"namespace": "ml", "labels": {}, "name": "x"}, "kind": "Job", "apiVersion": "v1"}
    )
    assert [line.split(":")[0] for line in text.splitlines() if not line.startswith(" ")] == [
        "apiVersion",
        "kind",
        "metadata",
        "spec",
    ]
    assert text.index("name: x") < text.index("namespace: ml") < text.index("labels:")


def test_header_lines_are_comments_and_multiline_strings_are_literal_blocks() -> None:
    text = dump_yaml({"data": {"script": "echo a\necho b\n"}}, header="Generated; do not edit.\n\nsecond")
    assert text.startswith("# Generated; do not edit.\n#\n# second\n")
    assert "script: |\n" in text
