"""``python -m gpumanifests``: the command line."""

from gpumanifests._cli import main

raise SystemExit(main())
