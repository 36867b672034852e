"""Small helpers the tests share (importable as ``helpers``: pytest puts tests/ on the path)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def run_once_job(paths: Iterable[str], stem: str) -> str:
    """The one path of a run-once Job's file, ``<stem>-<8 hex digits of its spec>.yaml``, among ``paths``."""
    pattern = re.compile(re.escape(stem) + r"-[0-9a-f]{8}\.yaml")
    [found] = [path for path in paths if pattern.fullmatch(str(path))]
    return str(found)
