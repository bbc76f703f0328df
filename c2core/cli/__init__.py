"""The `c2core` command line. Each subcommand lives in its own module."""
