"""`python -m optnet`: the command line."""

from optnet.cli import main

main()
