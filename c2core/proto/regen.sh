#!/usr/bin/env bash
# Regenerate caffe2_pb2.py from caffe2.proto (needs grpcio-tools, a dev tool only).
# The generated module is committed so that users need only the protobuf runtime.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python -m grpc_tools.protoc -I"$here" --python_out="$here" "$here/caffe2.proto"
