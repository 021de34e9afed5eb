"""`python -m plaudit` runs the CLI."""

from plaudit.cli.main import main

main()
