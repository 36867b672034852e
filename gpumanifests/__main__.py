"""``python -m gpumanifests``: the command line."""

from gpumanifests._cli.main import console_main

console_main()
