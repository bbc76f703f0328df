"""ONNX interchange: export Caffe2 models to ONNX and import ONNX models as Caffe2."""
