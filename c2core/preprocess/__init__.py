"""Image preprocessing: decoding image files (`images`) and the presets that turn
them into a model's input tensor (`presets`: resize, crop, mean/std, layout).

It sits low in the layers (only errors, budget and io.save below it) so that
the ONNX verifier, the backends' INT8 calibration, quantization and
classification all share one implementation without importing each other.
"""
