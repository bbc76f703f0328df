"""Caffe2 protobuf schema (generated module `caffe2_pb2`; see regen.sh)."""
