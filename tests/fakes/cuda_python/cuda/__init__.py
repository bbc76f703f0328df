"""FAKE cuda-python (logic tests only): see tests/fakes/cuda_python/cuda/bindings/runtime.py."""
