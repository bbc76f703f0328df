"""Caffe2 operators on PyTorch kernels: one module per op or op family.

Modules register kernels with `registry.register`; `registry.lookup` imports
them all on first use (torch is imported then, never at c2core import time).
"""
