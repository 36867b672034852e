"""``python -m gpumanifests``: the command line."""

from gpumanifests._cli.main import main

raise SystemExit(main())
