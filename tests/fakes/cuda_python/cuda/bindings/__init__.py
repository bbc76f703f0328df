"""FAKE cuda.bindings package (logic tests only)."""
