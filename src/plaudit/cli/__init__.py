"""The `plaudit` command line: a thin layer over the library."""
