"""Quantization: INT8 agreement metrics and post-training quantization for CPU engines."""
