"""Benchmarks, one module per subject (`load`, ...), run as `python -m bench NAME`.

Each module defines `main(argv) -> int` and a docstring whose first line says
what it measures; `python -m bench` with no name runs them all with defaults.
"""
