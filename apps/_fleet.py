"""The GPU fleet: the cloud clusters one management Argo CD deploys through one ApplicationSet.

Each cloud app joins it with ``fleet=gpu_fleet(app)``; the first app to ask declares it.
"""

from __future__ import annotations

import gpumanifests as gm

REPO = gm.GitRepo(url="https://git.example.com/platform/gpumanifests.git", revision="main")
FLEET = "gpu-fleet"


def gpu_fleet(app: gm.GitOpsApp) -> gm.Fleet:
    """The app's ``gpu-fleet``, declared on first use."""
    found = app.node.try_find_child(FLEET)
    return found if isinstance(found, gm.Fleet) else gm.Fleet(app, FLEET, repo=REPO)
