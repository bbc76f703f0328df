"""Generator for `ops.json`: Caffe2 operator metadata written as compact tables.

Run `python -m c2core.schema.build_ops` after editing; the JSON is what ships
and what every reader loads. Defaults follow Caffe2's operator sources
(`caffe2/operators/*_op.h|cc`): the value `GetSingleArgument` falls back to.
An argument whose Caffe2 default is "unset" (e.g. `kernel`) has no default.
Input names ending in `?` are optional; `*` marks a variadic last input/output.
"""

from __future__ import annotations

import json
import os

OPS: dict = {}


def _io(names):
    out = []
    for n in names:
        item = {"name": n.rstrip("?*"), "optional": n.endswith("?")}
        if n.endswith("*"):
            item["variadic"] = True
        out.append(item)
    return out


def a(type_, default=None, doc="", *, required=False):
    """One argument: type, optional default, doc."""
    d = {"type": type_, "doc": doc}
    if default is not None and not required:
        d["default"] = default
    return d


def op(name, category, doc, inputs, outputs, args=None, inplace=False, **extra):
    if name in OPS:
        raise ValueError(f"duplicate op {name}")
    entry = {"category": category, "doc": doc, "inputs": _io(inputs), "outputs": _io(outputs), "args": dict(args or {})}
    if inplace:
        entry["inplace"] = True
    entry.update(extra)
    OPS[name] = entry


# ---------------------------------------------------------------- arg groups
ORDER = {"order": a("string", "NCHW", "storage order: NCHW or NHWC")}
ORDER_NHWC = {"order": a("string", "NHWC", "storage order (Int8 ops run in NHWC)")}
SPATIAL = {
    "kernel": a("int", doc="kernel size for every spatial axis"),
    "kernels": a("ints", doc="kernel size per spatial axis"),
    "kernel_h": a("int", doc="kernel height"),
    "kernel_w": a("int", doc="kernel width"),
    "stride": a("int", 1, "stride for every spatial axis"),
    "strides": a("ints", doc="stride per spatial axis"),
    "stride_h": a("int", doc="vertical stride"),
    "stride_w": a("int", doc="horizontal stride"),
    "pad": a("int", 0, "padding on every side"),
    "pads": a("ints", doc="padding [begins..., ends...] (t, l, b, r for 2-D)"),
    "pad_t": a("int", doc="top padding"),
    "pad_l": a("int", doc="left padding"),
    "pad_b": a("int", doc="bottom padding"),
    "pad_r": a("int", doc="right padding"),
    "legacy_pad": a("int", 0, "0 NOTSET (explicit pads), 1 VALID, 2 SAME, 3 CAFFE_LEGACY_POOLING (ceil mode)"),
    "engine_hint": a("string", doc="ignored"),
}
DILATION = {
    "dilation": a("int", 1, "dilation for every spatial axis"),
    "dilations": a("ints", doc="dilation per spatial axis"),
    "dilation_h": a("int", doc="vertical dilation"),
    "dilation_w": a("int", doc="horizontal dilation"),
}
# ConvTranspose accepts a dilation and ignores it (caffe2/operators/conv_transpose_unpool_op_base.h).
IGNORED_DILATION = {k: dict(v, doc=v["doc"] + " (ignored by Caffe2's ConvTranspose)") for k, v in DILATION.items()}
CONV = {**SPATIAL, **DILATION, "group": a("int", 1, "number of channel groups"), **ORDER,
        "shared_buffer": a("int", 0, "share the im2col buffer between ops"),
        "float16_compute": a("int", 0, "compute in fp16 (GPU only)")}
POOL = {**SPATIAL, **DILATION, **ORDER, "global_pooling": a("int", 0, "pool over the whole spatial extent; kernel is ignored")}
QUANT = {"Y_scale": a("float", 1.0, "output quantization scale"), "Y_zero_point": a("int", 0, "output quantization zero point")}
BCAST = {"broadcast": a("int", 0, "legacy broadcast: B aligned to A at `axis`"),
         "axis": a("int", -1, "first axis of A that B aligns to (legacy broadcast; -1 = suffix)"),
         "axis_str": a("string", doc="axis given by a letter of `order`"),
         **ORDER}
REDUCE = {"axes": a("ints", doc="axes to reduce (default: all)"), "keepdims": a("int", 1, "keep reduced axes as size 1")}
FRONT_BACK = {"num_reduce_dim": a("int", 1, "number of leading/trailing dimensions to reduce")}
SCALE_ARGS = {"width_scale": a("float", 1.0, "horizontal scale factor"), "height_scale": a("float", 1.0, "vertical scale factor"), **ORDER}
FILL = {
    "shape": a("ints", doc="output shape"),
    "extra_shape": a("ints", doc="dimensions appended to the input-derived shape"),
    "input_as_shape": a("int", 0, "read the shape from the input's values"),
}
PLUS_ONE = {"legacy_plus_one": a("int", 1, "box widths are x2 - x1 + 1 (Detectron convention)")}
ANGLE = {"angle_bound_on": a("int", 1, "bound rotated box angles"), "angle_bound_lo": a("int", -90, "lower angle bound"),
         "angle_bound_hi": a("int", 90, "upper angle bound"), "clip_angle_thresh": a("float", 1.0, "clip only boxes almost horizontal")}

# ---------------------------------------------------------------- Layer
for name, nd in (("Conv", None), ("Conv1D", 1), ("Conv2D", 2), ("Conv3D", 3)):
    op(name, "Layer", "Convolution of X with filter (M x C/group x k...) plus optional bias" + (f" ({nd}-D)" if nd else ""),
       ["X", "filter", "bias?"], ["Y"], CONV)
op("ConvTranspose", "Layer", "Transposed convolution (deconvolution); filter is C x M/group x kH x kW",
   ["X", "filter", "bias?"], ["Y"],
   {**SPATIAL, **IGNORED_DILATION, "adj": a("int", 0, "extra size added to one side of the output"),
    "adjs": a("ints", doc="adj per spatial axis"),
    "adj_h": a("int", doc="vertical adj"), "adj_w": a("int", doc="horizontal adj"),
    "group": a("int", 1, "number of channel groups"), **ORDER, "shared_buffer": a("int", 0, "share the col buffer")})
op("FC", "Layer", "Fully connected: X flattened to 2-D at `axis`, Y = X * W^T + b", ["X", "W", "b"], ["Y"],
   {"axis": a("int", 1, "X is flattened to [prod(dims[:axis]), prod(dims[axis:])]"),
    "axis_w": a("int", 1, "W is flattened to [prod(dims[:axis_w]), prod(dims[axis_w:])]"),
    "float16_compute": a("int", 0, "compute in fp16 (GPU only)")})
op("FCTransposed", "Layer", "Fully connected with W stored transposed (K x N): Y = X * W + b", ["X", "W", "b"], ["Y"],
   {"axis": a("int", 1, "X flatten axis"), "axis_w": a("int", 1, "W flatten axis"), "float16_compute": a("int", 0, "fp16 compute")})

# ---------------------------------------------------------------- Activation
op("Relu", "Activation", "max(0, x), elementwise", ["X"], ["Y"], inplace=True)
op("ReluN", "Activation", "min(max(0, x), n), elementwise", ["X"], ["Y"], {"n": a("float", 6.0, "upper bound")}, inplace=True)
op("LeakyRelu", "Activation", "x if x >= 0 else alpha * x", ["X"], ["Y"], {"alpha": a("float", 0.01, "slope for x < 0")}, inplace=True)
op("PRelu", "Activation", "Leaky ReLU with a learned slope per channel (or one shared slope)", ["X", "Slope"], ["Y"], ORDER, inplace=True)
op("Elu", "Activation", "x if x > 0 else alpha * (exp(x) - 1)", ["X"], ["Y"], {"alpha": a("float", 1.0, "scale of the negative part")}, inplace=True)
op("Selu", "Activation", "scale * (x if x > 0 else alpha * (exp(x) - 1))", ["X"], ["Y"],
   {"alpha": a("float", 1.6732632423543772, "alpha"), "scale": a("float", 1.0507009873554805, "scale")}, inplace=True)
op("Sigmoid", "Activation", "1 / (1 + exp(-x))", ["X"], ["Y"], inplace=True)
op("HardSigmoid", "Activation", "max(0, min(1, alpha * x + beta))", ["X"], ["Y"],
   {"alpha": a("float", 0.2, "slope"), "beta": a("float", 0.5, "offset")}, inplace=True)
op("Tanh", "Activation", "hyperbolic tangent", ["X"], ["Y"], inplace=True)
op("Softplus", "Activation", "log(1 + exp(x))", ["X"], ["Y"], inplace=True)
op("Softsign", "Activation", "x / (1 + |x|)", ["X"], ["Y"], inplace=True)
op("Swish", "Activation", "x * sigmoid(x)", ["X"], ["Y"])
op("Gelu", "Activation", "x * Phi(x) (Gaussian error linear unit)", ["X"], ["Y"], {"fast_gelu": a("int", 0, "tanh approximation")})
op("Clip", "Activation", "clamp x to [min, max] (unbounded when the argument is absent)", ["X"], ["Y"],
   {"min": a("float", doc="lower bound (default: lowest float)"), "max": a("float", doc="upper bound (default: largest float)")}, inplace=True)
op("Softmax", "Activation", "softmax over the input coerced to 2-D at `axis` (all of C*H*W for NCHW with axis 1)",
   ["input"], ["output"], {"axis": a("int", 1, "first axis of the normalised block")}, inplace=True)
op("LogSoftmax", "Activation", "log of Softmax, same 2-D coercion at `axis` (mobile/contrib builds)", ["input"], ["output"],
   {"axis": a("int", 1, "first axis of the normalised block")})

# ---------------------------------------------------------------- Pool
for base, doc in (("MaxPool", "max"), ("AveragePool", "average")):
    extra = {"count_include_pad": a("int", 0, "average counts padded cells")} if base == "AveragePool" else {}
    op(base, "Pool", f"{doc} pooling over spatial windows", ["X"], ["Y"], {**POOL, **extra})
    for nd in (1, 2, 3):
        op(f"{base}{nd}D", "Pool", f"{doc} pooling, {nd}-D", ["X"], ["Y"], {**POOL, **extra})
op("LpPool", "Pool", "Lp-norm pooling over spatial windows", ["X"], ["Y"], {**POOL, "p": a("float", 2.0, "norm order")})
op("MaxPoolWithIndex", "Pool", "max pooling that also returns argmax indices (GPU)", ["X"], ["Y", "mask"], POOL)

# ---------------------------------------------------------------- Normalization
op("SpatialBN", "Normalization", "batch normalization over the channel axis (is_test=1 uses running mean/var)",
   ["X", "scale", "bias", "mean", "var", "sums?", "sumsq?"], ["Y", "mean?", "var?", "saved_mean?", "saved_var?"],
   {"is_test": a("int", 0, "inference mode: use the given mean and var"), "epsilon": a("float", 1e-5, "added to the variance"),
    "momentum": a("float", 0.9, "running average momentum (training)"), **ORDER,
    "num_batches": a("int", 1, "batches the statistics were split over")}, inplace=True)
op("LRN", "Normalization", "local response normalization across channels: x / (bias + alpha/size * sum x^2)^beta",
   ["X"], ["Y", "scale?"],
   {"size": a("int", 0, "window size (odd)"), "alpha": a("float", 0.0, "scale"), "beta": a("float", 0.0, "exponent"),
    "bias": a("float", 1.0, "additive constant"), **ORDER})
op("InstanceNorm", "Normalization", "per-sample, per-channel normalization", ["input", "scale", "bias"], ["output", "mean?", "inv_stdev?"],
   {"epsilon": a("float", 1e-5, "added to the variance"), **ORDER})
op("LayerNorm", "Normalization", "normalize over dims[axis:]; outputs mean and std of shape dims[:axis] + [1]",
   ["input", "gamma?", "beta?"], ["output", "mean", "stdev"],
   {"axis": a("int", 1, "first normalised axis"), "epsilon": a("float", 1e-5, "added to the variance"),
    "elementwise_affine": a("int", 0, "apply gamma and beta")})
op("GroupNorm", "Normalization", "normalize over groups of channels", ["X", "gamma", "beta"], ["Y", "mean?", "inv_sigma?"],
   {"group": a("int", 32, "number of groups"), "epsilon": a("float", 1e-5, "added to the variance"), **ORDER,
    "is_test": a("int", 0, "do not output statistics")})
op("AffineChannel", "Normalization", "per-channel Y = X * scale + bias (frozen batch norm in Detectron)",
   ["X", "scale", "bias"], ["Y"], {**ORDER, "is_learnable": a("int", 0, "scale and bias are trained")}, inplace=True)
op("Normalize", "Normalization", "L2-normalize along `axis`", ["X"], ["Y"], {"axis": a("int", -1, "normalised axis")})

# ---------------------------------------------------------------- Dropout
op("Dropout", "Dropout", "randomly zero elements with probability `ratio` (identity when is_test)", ["data"], ["output", "mask?"],
   {"ratio": a("float", 0.5, "drop probability"), "is_test": a("int", 0, "inference mode: identity")}, inplace=True)

# ---------------------------------------------------------------- Tensor
op("Concat", "Tensor", "join inputs along `axis` (or stack along a new axis with add_axis)", ["inputs*"], ["concat_result", "split_info?"],
   {"axis": a("int", 1, "joined axis"), "add_axis": a("int", 0, "insert a new axis at `axis`"), **ORDER})
op("Split", "Tensor", "split along `axis` into equal parts or the sizes in `split` (or the 2nd input)", ["input", "split?"], ["outputs*"],
   {"axis": a("int", 1, "split axis"), "split": a("ints", doc="size of each part"), "add_axis": a("int", 0, "remove the split axis"), **ORDER})
# The pre-2017 names of Concat and Split (same operator class in concat_split_op.cc).
op("DepthConcat", "Tensor", "Concat's old name: join inputs along the channel axis", ["inputs*"], ["concat_result", "split_info?"],
   OPS["Concat"]["args"])
op("DepthSplit", "Tensor", "Split's old name: split along the channel axis", ["input", "split?"], ["outputs*"], OPS["Split"]["args"])
op("Slice", "Tensor", "slice with per-axis starts and ends (-1 end = to the end)", ["data", "starts?", "ends?"], ["output"],
   {"starts": a("ints", doc="start per axis"), "ends": a("ints", doc="end per axis (exclusive; negative counts from the end + 1)")})
op("Gather", "Tensor", "take entries of DATA along `axis` at INDICES", ["DATA", "INDICES"], ["OUTPUT"],
   {"axis": a("int", 0, "gathered axis"), "match_outer": a("int", 0, "indices share the outer dims of DATA")})
op("BatchGather", "Tensor", "Gather along axis 1 for every batch entry", ["DATA", "INDICES"], ["OUTPUT"])
op("ChannelShuffle", "Tensor", "shuffle channels between groups (ShuffleNet)", ["X"], ["Y"], {"group": a("int", 1, "groups"), **ORDER})
op("Copy", "Tensor", "copy the input", ["input"], ["output"])
op("CopyCPUToGPU", "Tensor", "copy to the GPU", ["input"], ["output"])
op("CopyGPUToCPU", "Tensor", "copy to the CPU", ["input"], ["output"])
op("CopyFromCPUInput", "Tensor", "copy a CPU input to the op's device", ["input"], ["output"])
op("EnsureCPUOutput", "Tensor", "make the output live on the CPU", ["input"], ["output"])
op("EnsureDense", "Tensor", "make a sparse gradient dense (identity on tensors)", ["input"], ["output"], inplace=True)
op("Alias", "Tensor", "make output share the input's data", ["input"], ["output"])
op("StopGradient", "Tensor", "identity that blocks gradients", ["input"], ["output"], inplace=True)
op("Cast", "Tensor", "convert element type to `to` (a TensorProto.DataType)", ["input"], ["output"],
   {"to": a("int", doc="target TensorProto.DataType (1 FLOAT, 2 INT32, 3 BYTE, 5 BOOL, 10 INT64, 12 FLOAT16, 13 DOUBLE)"),
    "from_type": a("int", doc="source type (ignored)")})
op("PadImage", "Tensor", "pad the spatial axes of an image batch", ["X"], ["Y"],
   {**{k: v for k, v in SPATIAL.items() if k.startswith("pad")}, "mode": a("string", "constant", "constant, reflect or edge"),
    "value": a("float", 0.0, "constant fill value"), **ORDER})
op("Tile", "Tensor", "repeat the input `tiles` times along `axis`", ["data", "tiles?", "axis?"], ["tiled_data"],
   {"tiles": a("int", 1, "repeats"), "axis": a("int", 0, "tiled axis")})
op("Expand", "Tensor", "broadcast the input to a shape given as a 1-D tensor", ["X", "shape"], ["Y"])
op("ResizeNearest", "Tensor", "nearest-neighbour resize by height_scale/width_scale", ["X", "scales?"], ["Y"], SCALE_ARGS)
op("ResizeNearest3D", "Tensor", "nearest-neighbour resize in T, H, W", ["X"], ["Y"],
   {"temporal_scale": a("float", 1.0, "time scale"), **SCALE_ARGS})
op("UpsampleBilinear", "Tensor", "bilinear resize by height_scale/width_scale (NCHW)", ["X", "scales?"], ["Y"],
   {"width_scale": a("float", 1.0, "horizontal scale"), "height_scale": a("float", 1.0, "vertical scale")})
op("Upsample", "Tensor", "resize by height_scale/width_scale: `mode` nearest (as ResizeNearest) or bilinear (as UpsampleBilinear)",
   ["X", "scales?"], ["Y"], {"mode": a("string", "nearest", "nearest, bilinear or linear"), **SCALE_ARGS})
op("UpsampleNearest", "Tensor", "Detectron: nearest upsampling of NCHW by an integer `scale` on H and W", ["X"], ["Y"],
   {"scale": a("int", 2, "integer upsampling factor")})
op("SpatialNarrowAs", "Tensor", "Detectron: A cropped to B's height and width (NCHW)", ["A", "B"], ["C"])
op("BatchPermutation", "Tensor", "reorder the batch by the given indices", ["X", "indices"], ["Y"])
op("Range", "Tensor", "values from start to stop by step", ["start", "stop?", "step?"], ["output"])
op("Transpose", "Shape", "permute axes (default: reverse them)", ["data"], ["transposed"], {"axes": a("ints", doc="permutation")})
op("OneHot", "Tensor", "one-hot encode indices", ["indices", "index_size_tensor"], ["one_hots"])

# ---------------------------------------------------------------- Shape
op("Reshape", "Shape", "reshape to `shape` (0 copies a dim, -1 is inferred); also outputs the old shape",
   ["data", "new_shape?"], ["reshaped", "old_shape?"], {"shape": a("ints", doc="new shape")}, inplace=True)
op("Flatten", "Shape", "flatten to 2-D: [prod(dims[:axis]), prod(dims[axis:])]", ["input"], ["output"], {"axis": a("int", 1, "split axis")})
op("FlattenToVec", "Shape", "flatten to 1-D", ["input"], ["output"])
op("Squeeze", "Shape", "remove the size-1 axes in `dims`", ["data"], ["squeezed"], {"dims": a("ints", doc="axes to remove")}, inplace=True)
op("ExpandDims", "Shape", "insert size-1 axes at `dims`", ["data"], ["expanded"], {"dims": a("ints", doc="axes to insert")}, inplace=True)
op("NCHW2NHWC", "Shape", "transpose NCHW to NHWC", ["data"], ["output"])
op("NHWC2NCHW", "Shape", "transpose NHWC to NCHW", ["data"], ["output"])
op("Shape", "Shape", "the input's shape as an int64 vector", ["data"], ["shape"], {"axes": a("ints", doc="only these axes")})
op("Size", "Shape", "the input's element count as an int64 scalar", ["data"], ["size"])

# ---------------------------------------------------------------- Data (fill ops)
for name, dt in (("GivenTensorFill", "float"), ("GivenTensorDoubleFill", "double"), ("GivenTensorIntFill", "int32"),
                 ("GivenTensorInt16Fill", "int16"), ("GivenTensorInt64Fill", "int64"), ("GivenTensorBoolFill", "bool"),
                 ("GivenTensorStringFill", "string"), ("GivenTensorByteStringToUInt8Fill", "uint8")):
    vt = {"float": "floats", "double": "floats", "string": "strings", "uint8": "string"}.get(dt, "ints")
    op(name, "Data", f"a {dt} tensor whose values are stored in the op", ["shape_src?"], ["output"],
       {**FILL, "values": a(vt, doc="the tensor's values, row-major")})
op("Int8GivenTensorFill", "Data", "a uint8 quantized tensor (values as one byte string)", [], ["output"],
   {"shape": a("ints", doc="output shape"), "values": a("string", doc="the bytes"), **QUANT})
op("Int8GivenIntTensorFill", "Data", "an int32 quantized tensor (bias of Int8 ops)", [], ["output"],
   {"shape": a("ints", doc="output shape"), "values": a("ints", doc="the values"), **QUANT})
op("ConstantFill", "Data", "a tensor filled with one value", ["input?"], ["output"],
   {**FILL, "value": a("float", 0.0, "fill value"), "dtype": a("int", 1, "TensorProto.DataType of the output")})
op("XavierFill", "Data", "uniform in +-sqrt(3 / fan_in) (untrained weights)", ["input?"], ["output"], FILL)
op("MSRAFill", "Data", "normal with std sqrt(2 / fan_out) (untrained weights)", ["input?"], ["output"], FILL)
op("GaussianFill", "Data", "normal(mean, std)", ["input?"], ["output"],
   {**FILL, "mean": a("float", 0.0, "mean"), "std": a("float", 1.0, "standard deviation")})
op("UniformFill", "Data", "uniform in [min, max]", ["input?"], ["output"],
   {**FILL, "min": a("float", 0.0, "lower bound"), "max": a("float", 1.0, "upper bound")})
op("UniformIntFill", "Data", "uniform integers in [min, max]", ["input?"], ["output"],
   {**FILL, "min": a("int", 0, "lower bound"), "max": a("int", 1, "upper bound")})
op("RangeFill", "Data", "0, 1, 2, ... in the given shape", ["input?"], ["output"], FILL)
op("LengthsRangeFill", "Data", "concatenated ranges 0..len-1 for each length", ["lengths"], ["range_sequence"])

# ---------------------------------------------------------------- Math
for name, doc in (("Add", "A + B"), ("Sub", "A - B"), ("Mul", "A * B"), ("Div", "A / B")):
    op(name, "Math", f"{doc}, elementwise (NumPy broadcasting, or legacy broadcast=1 aligning B to A at axis)",
       ["A", "B"], ["C"], BCAST, inplace=True)
op("Pow", "Math", "X ** exponent (argument or second input)", ["X", "exponent?"], ["Y"],
   {"exponent": a("float", doc="scalar exponent"), **BCAST})
op("Sum", "Math", "elementwise sum of all inputs (same shape)", ["data*"], ["sum"], inplace=True)
op("WeightedSum", "Math", "X0 * w0 + X1 * w1 + ... (inputs alternate tensor, scalar weight)", ["data*"], ["output"], inplace=True)
op("Mean", "Math", "elementwise mean of all inputs", ["data*"], ["mean"])
op("Max", "Math", "elementwise maximum of all inputs", ["data*"], ["max"], inplace=True)
op("Min", "Math", "elementwise minimum of all inputs", ["data*"], ["min"], inplace=True)
for name, doc in (("Exp", "exp(x)"), ("Log", "natural log"), ("Sqrt", "square root"), ("Rsqrt", "1 / sqrt(x)"),
                  ("Abs", "|x|"), ("Negative", "-x"), ("Sqr", "x * x"), ("Reciprocal", "1 / x"), ("Sin", "sine"),
                  ("Cos", "cosine"), ("Floor", "round down"), ("Ceil", "round up"), ("Sign", "sign of x"), ("Cube", "x ** 3"),
                  ("Erf", "error function"), ("Tan", "tangent"), ("Asin", "arcsine"), ("Acos", "arccosine"),
                  ("Atan", "arctangent")):
    op(name, "Math", f"{doc}, elementwise", ["X"], ["Y"], inplace=True)
op("Scale", "Math", "x * scale", ["input"], ["output"], {"scale": a("float", 1.0, "factor")}, inplace=True)
op("MatMul", "Math", "matrix product of A and B flattened to 2-D at axis_a / axis_b", ["A", "B"], ["Y"],
   {"axis_a": a("int", 1, "A flatten axis"), "axis_b": a("int", 1, "B flatten axis"),
    "trans_a": a("int", 0, "transpose A"), "trans_b": a("int", 0, "transpose B")})
op("BatchMatMul", "Math", "batched matrix product over the last two dims (NumPy-style batch broadcast with broadcast=1)",
   ["A", "B"], ["Y"], {"trans_a": a("int", 0, "transpose A"), "trans_b": a("int", 0, "transpose B"),
                       "broadcast": a("int", 0, "broadcast batch dims and 1-D operands")})
for name, doc in (("ReduceMean", "mean"), ("ReduceSum", "sum"), ("ReduceMax", "max"), ("ReduceMin", "min"),
                  ("ReduceL1", "L1 norm"), ("ReduceL2", "L2 norm")):
    op(name, "Math", f"{doc} over `axes`", ["data"], ["reduced"], REDUCE)
op("Moments", "Math", "mean and (biased) variance over `axes`", ["data"], ["mean", "variance"], REDUCE)
for name, doc in (("ReduceFrontSum", "sum over the first"), ("ReduceBackSum", "sum over the last"),
                  ("ReduceFrontMean", "mean over the first"), ("ReduceBackMean", "mean over the last"),
                  ("ReduceFrontMax", "max over the first"), ("ReduceBackMax", "max over the last")):
    op(name, "Math", f"{doc} num_reduce_dim dimensions", ["X", "lengths?"], ["Y"], FRONT_BACK)
op("ReduceTailSum", "Math", "sum over all dims but the first", ["mat"], ["output"])
op("RowwiseMax", "Math", "maximum of each row of a 2-D input", ["X"], ["Y"])
op("ColwiseMax", "Math", "maximum of each column of a 2-D input", ["X"], ["Y"])
for name in ("ArgMax", "ArgMin"):
    op(name, "Math", f"index of the {name[3:].lower()}imum along `axis` (int64)", ["X"], ["Y"],
       {"axis": a("int", -1, "reduced axis"), "keepdims": a("int", 1, "keep the axis as size 1")})
op("CumSum", "Math", "cumulative sum along axis 0", ["X"], ["Y"])
op("DotProduct", "Math", "row-wise dot product of two matrices", ["X", "Y"], ["Z"])
op("SquaredL2Distance", "Math", "0.5 * |X - Y|^2 per row", ["X", "Y"], ["Z"])
op("SumSqrElements", "Math", "sum of squares of all elements", ["X"], ["sum"], {"average": a("int", 0, "divide by the count")})
op("SumElements", "Math", "sum of all elements", ["X"], ["sum"], {"average": a("int", 0, "divide by the count")})
op("Logit", "Math", "log(x / (1 - x)) with eps clipping", ["X"], ["Y"], {"eps": a("float", 1e-6, "clip bound")}, inplace=True)

# ---------------------------------------------------------------- Logic
for name, doc in (("EQ", "A == B"), ("NE", "A != B"), ("LT", "A < B"), ("LE", "A <= B"), ("GT", "A > B"), ("GE", "A >= B"),
                  ("And", "A and B"), ("Or", "A or B"), ("Xor", "A xor B")):
    op(name, "Logic", f"{doc}, elementwise, bool result", ["A", "B"], ["C"], BCAST)
op("Not", "Logic", "logical not, elementwise", ["X"], ["Y"])
op("Where", "Logic", "C ? X : Y, elementwise", ["C", "X", "Y"], ["Z"], {"broadcast_on_rows": a("int", 0, "C selects whole rows")})
op("IsEmpty", "Logic", "bool scalar: the input has no elements", ["tensor"], ["is_empty"])
op("HasElements", "Logic", "bool scalar: some input has elements", ["tensor*"], ["has_elements"])
op("CountUp", "Logic", "increment a counter, return its old value", ["counter"], ["previous_count"])

# ---------------------------------------------------------------- Quantization (NHWC Int8 ops)
INT8_CONV = {**CONV, **ORDER_NHWC, **QUANT}
op("Int8Conv", "Layer", "quantized convolution (uint8 NHWC, filter M x kH x kW x C/group)", ["X", "W", "b?"], ["Y"], INT8_CONV)
op("Int8ConvRelu", "Layer", "Int8Conv followed by ReLU", ["X", "W", "b?"], ["Y"], INT8_CONV)
op("Int8ConvTranspose", "Layer", "quantized transposed convolution (NHWC)", ["X", "W", "b?"], ["Y"],
   {**SPATIAL, **IGNORED_DILATION, "adj": a("int", 0, "extra output size"), "group": a("int", 1, "groups"), **ORDER_NHWC, **QUANT})
op("Int8FC", "Layer", "quantized fully connected layer", ["X", "W", "b"], ["Y"],
   {"axis": a("int", 1, "X flatten axis"), "axis_w": a("int", 1, "W flatten axis"), **QUANT})
op("Int8Sum", "Math", "quantized elementwise sum", ["A*"], ["Y"], QUANT)
op("Int8SumRelu", "Math", "quantized elementwise sum followed by ReLU", ["A*"], ["Y"], QUANT)
op("Int8Add", "Math", "quantized A + B (broadcast)", ["A", "B"], ["C"], {**QUANT, "broadcast": a("int", 0, "legacy broadcast")})
op("Int8AddRelu", "Math", "quantized A + B followed by ReLU", ["A", "B"], ["C"], {**QUANT, "broadcast": a("int", 0, "legacy broadcast")})
op("Int8Quantize", "Quantization", "float -> uint8: round(x / Y_scale) + Y_zero_point, saturated", ["X", "Qparam?"], ["Y"], QUANT)
op("Int8Dequantize", "Quantization", "uint8 -> float: (q - zero_point) * scale", ["qX"], ["Y"])
op("Int8AveragePool", "Pool", "quantized average pooling (NHWC)", ["X"], ["Y"], {**POOL, **ORDER_NHWC, **QUANT})
op("Int8MaxPool", "Pool", "quantized max pooling (NHWC)", ["X"], ["Y"], {**POOL, **ORDER_NHWC, **QUANT})
op("Int8AveragePoolRelu", "Pool", "quantized average pooling followed by ReLU (NHWC)", ["X"], ["Y"], {**POOL, **ORDER_NHWC, **QUANT})
op("Int8MaxPoolRelu", "Pool", "quantized max pooling followed by ReLU (NHWC)", ["X"], ["Y"], {**POOL, **ORDER_NHWC, **QUANT})
op("Int8Softmax", "Activation", "quantized softmax", ["input"], ["output"], {"axis": a("int", 1, "axis"), **QUANT})
op("Int8Relu", "Activation", "quantized ReLU", ["X"], ["Y"], QUANT, inplace=True)
op("Int8LeakyRelu", "Activation", "quantized leaky ReLU", ["X"], ["Y"], {"alpha": a("float", 0.01, "slope"), **QUANT})
op("Int8Sigmoid", "Activation", "quantized sigmoid", ["X"], ["Y"], QUANT)
op("Int8Reshape", "Shape", "quantized Reshape", ["data", "new_shape?"], ["reshaped", "old_shape?"], {"shape": a("ints", doc="new shape"), **QUANT})
op("Int8Flatten", "Shape", "quantized Flatten", ["input"], ["output"], {"axis": a("int", 1, "split axis"), **QUANT})
op("Int8Concat", "Tensor", "quantized Concat", ["inputs*"], ["concat_result", "split_info?"],
   {"axis": a("int", doc="joined axis; default 3 with order NHWC, 1 with NCHW, 0 without order (int8_concat_op.h)"),
    "order": a("string", doc="NHWC or NCHW; only chooses the default axis"), "add_axis": a("int", 0, "new axis"), **QUANT})
op("Int8Slice", "Tensor", "quantized Slice", ["data", "starts?", "ends?"], ["output"],
   {"starts": a("ints", doc="starts"), "ends": a("ints", doc="ends"), **QUANT})
op("Int8Transpose", "Shape", "quantized Transpose", ["X"], ["Y"], {"axes": a("ints", doc="permutation"), **QUANT})
op("Int8ChannelShuffle", "Tensor", "quantized ChannelShuffle (NHWC)", ["X"], ["Y"], {"group": a("int", 1, "groups"), **ORDER_NHWC, **QUANT})
op("Int8ResizeNearest", "Tensor", "quantized nearest resize (NHWC)", ["X"], ["Y"],
   {"width_scale": a("float", 1.0, "horizontal scale"), "height_scale": a("float", 1.0, "vertical scale"), **QUANT})
op("Int8RoIAlign", "Detection", "quantized RoIAlign (NHWC)", ["X", "RoIs"], ["Y"],
   {"spatial_scale": a("float", 1.0, "feature scale"), "pooled_h": a("int", 1, "output height"), "pooled_w": a("int", 1, "output width"),
    "sampling_ratio": a("int", -1, "samples per bin"), "aligned": a("int", 0, "half-pixel offset"), **ORDER_NHWC, **QUANT})
op("FloatToFused8BitRowwiseQuantized", "Quantization", "rowwise uint8 with per-row scale and bias appended", ["input"], ["output"])
op("Fused8BitRowwiseQuantizedToFloat", "Quantization", "inverse of FloatToFused8BitRowwiseQuantized", ["input"], ["output"])
op("HalfToFloat", "Quantization", "float16 -> float32", ["X"], ["Y"])
op("FloatToHalf", "Quantization", "float32 -> float16", ["X"], ["Y"])

# ---------------------------------------------------------------- Control
op("If", "Control", "run then_net if the bool condition is true, else else_net", ["condition", "inputs*"], ["outputs*"],
   {"then_net": a("net", doc="net run when true"), "else_net": a("net", doc="net run when false (optional)")})
op("While", "Control", "run loop_net while cond_net (or the condition blob) is true", ["condition", "inputs*"], ["outputs*"],
   {"loop_net": a("net", doc="body"), "cond_net": a("net", doc="recomputes the condition")})
op("Do", "Control", "run a sub-net in its own workspace", ["inputs*"], ["outputs*"],
   {"net": a("net", doc="the sub-net"), "inner_blobs": a("strings", doc="inner names"), "outer_blobs_idx": a("ints", doc="mapping"),
    "saved_fwd_blobs": a("strings", doc="kept for backward"), "reuse_workspace": a("int", 0, "reuse the inner workspace")})
op("RecurrentNetwork", "Control", "run step_net over a sequence (RNN, LSTM)", ["inputs*"], ["outputs*"],
   {"step_net": a("net", doc="one time step"), "backward_step_net": a("net", doc="gradient step"),
    "recurrent_states": a("strings", doc="state blobs"), "timestep": a("string", "timestep", "time step blob name")})
op("LSTMUnit", "Layer", "one LSTM step from preactivated gates (i, f, o, g order); sequences past seq_lengths keep or zero their state",
   ["hidden_t_prev", "cell_t_prev", "gates", "seq_lengths", "timestep?"], ["hidden_t", "cell_t"],
   {"forget_bias": a("float", 0.0, "added to the forget gate"), "drop_states": a("int", 0, "zero the states past the sequence end"),
    "sequence_lengths": a("int", 1, "seq_lengths input is given")})
op("ONNXWhile", "Control", "ONNX Loop semantics", ["max_trip_count", "condition", "initial*"], ["final*"],
   {"body": a("net", doc="loop body"), "has_trip_count": a("int", 0, "use max_trip_count"), "has_cond": a("int", 0, "use condition"),
    "save_scopes": a("int", 0, "keep scopes"), "disable_scopes": a("int", 0, "no scopes")})
op("CreateScope", "Control", "a fresh workspace scope for control flow", [], ["scope"])
op("NoOp", "Control", "does nothing", ["inputs*"], ["outputs*"])

# ---------------------------------------------------------------- Detection
op("RoIAlign", "Detection", "bilinear RoI pooling to pooled_h x pooled_w per box", ["X", "RoIs"], ["Y"],
   {"spatial_scale": a("float", 1.0, "feature map scale relative to the image"), "pooled_h": a("int", 1, "output height"),
    "pooled_w": a("int", 1, "output width"), "sampling_ratio": a("int", -1, "samples per bin (<=0: adaptive)"),
    "aligned": a("int", 0, "half-pixel offset"), **ORDER})
op("RoIAlignRotated", "Detection", "RoIAlign for rotated boxes (x, y, w, h, angle)", ["X", "RoIs"], ["Y"],
   {"spatial_scale": a("float", 1.0, "feature scale"), "pooled_h": a("int", 1, "output height"), "pooled_w": a("int", 1, "output width"),
    "sampling_ratio": a("int", -1, "samples per bin"), "aligned": a("int", 0, "half-pixel offset"), **ORDER})
op("RoIPool", "Detection", "max RoI pooling (Fast R-CNN)", ["X", "rois"], ["Y", "argmaxes?"],
   {"is_test": a("int", 0, "no argmax output"), **ORDER, "pooled_h": a("int", 1, "output height"),
    "pooled_w": a("int", 1, "output width"), "spatial_scale": a("float", 1.0, "feature scale")})
op("GenerateProposals", "Detection", "RPN proposals: decode anchors, clip, NMS; rois [R, 5] and scores [R]",
   ["scores", "bbox_deltas", "im_info", "anchors"], ["rois", "rois_probs"],
   {"spatial_scale": a("float", 0.0625, "feature stride inverse"), "pre_nms_topN": a("int", 6000, "boxes kept before NMS"),
    "post_nms_topN": a("int", 300, "boxes kept after NMS"), "nms_thresh": a("float", 0.7, "NMS IoU"),
    "min_size": a("float", 16.0, "minimum box size"), "correct_transform_coords": a("int", 0, "legacy coordinate fix"),
    **ANGLE, **PLUS_ONE})
op("GenerateProposalsCPP", "Detection", "GenerateProposals' old CPU name (same operator)", [], [], OPS["GenerateProposals"]["args"])
OPS["GenerateProposalsCPP"].update(inputs=OPS["GenerateProposals"]["inputs"], outputs=OPS["GenerateProposals"]["outputs"])
op("BBoxTransform", "Detection", "apply box regression deltas to RoIs, clip to the image", ["rois", "deltas", "im_info"],
   ["box_out", "roi_batch_splits?"],
   {"weights": a("floats", [1.0, 1.0, 1.0, 1.0], "delta weights wx, wy, ww, wh"), "apply_scale": a("int", 1, "scale boxes back"),
    "rotated": a("int", 0, "boxes are rotated"), "correct_transform_coords": a("int", 0, "legacy coordinate fix"), **ANGLE, **PLUS_ONE})
op("BoxWithNMSLimit", "Detection", "per-class NMS and a limit on detections per image", ["scores", "boxes", "batch_splits?"],
   ["scores", "boxes", "classes", "batch_splits?", "keeps?", "keeps_size?"],
   {"score_thresh": a("float", 0.05, "minimum score"), "nms": a("float", 0.3, "NMS IoU"),
    "detections_per_im": a("int", 100, "maximum detections per image"), "soft_nms_enabled": a("int", 0, "soft NMS"),
    "soft_nms_method": a("string", "linear", "linear or gaussian"), "soft_nms_sigma": a("float", 0.5, "gaussian sigma"),
    "soft_nms_min_score_thres": a("float", 0.001, "soft NMS floor"), "rotated": a("int", 0, "rotated boxes"),
    "cls_agnostic_bbox_reg": a("int", 0, "one box per RoI"), "input_boxes_include_bg_cls": a("int", 1, "column 0 is background"),
    "output_classes_include_bg_cls": a("int", 1, "class ids count background"), **PLUS_ONE})
op("CollectAndDistributeFpnRpnProposals", "Detection", "merge FPN proposals, redistribute them to levels",
   ["rpn_rois*"], ["rois", "rois_fpn*"],
   {"roi_canonical_scale": a("int", 224, "canonical scale"), "roi_canonical_level": a("int", 4, "canonical level"),
    "roi_max_level": a("int", 5, "max level"), "roi_min_level": a("int", 2, "min level"), "rpn_max_level": a("int", 6, "rpn max"),
    "rpn_min_level": a("int", 2, "rpn min"), "rpn_post_nms_topN": a("int", 2000, "kept proposals"), **PLUS_ONE})
FPN_LEVELS = OPS["CollectAndDistributeFpnRpnProposals"]["args"]  # the combined op's two halves read the same arguments
op("CollectRpnProposals", "Detection", "merge the FPN levels' RPN proposals, keep the top rpn_post_nms_topN", ["rpn_rois_and_scores*"],
   ["rois"], FPN_LEVELS)
op("DistributeFpnProposals", "Detection", "send each RoI to its FPN level; outputs per level and the restore index",
   ["rois"], ["rois_fpn*", "rois_idx_restore"], FPN_LEVELS)
op("HeatmapMaxKeypoint", "Detection", "keypoint coordinates from heatmaps", ["heatmaps", "bboxes"], ["keypoints"],
   {"should_output_softmax": a("int", 0, "also output softmax")})
op("PSRoIPool", "Detection", "position-sensitive RoI pooling (R-FCN)", ["X", "RoIs"], ["Y", "mapping_channel"],
   {"spatial_scale": a("float", 1.0, "feature scale"), "group_size": a("int", 1, "bins per side"), "output_dim": a("int", 1, "channels out")})

# ---------------------------------------------------------------- Loss / training
op("LabelCrossEntropy", "Loss", "-log(X[i, label[i]]) per row", ["X", "label"], ["Y"])
op("CrossEntropy", "Loss", "cross entropy against soft labels", ["X", "label"], ["Y"])
op("SoftmaxWithLoss", "Loss", "softmax and cross-entropy loss", ["logits", "labels", "weight_tensor?"], ["softmax", "loss"],
   {"scale": a("float", 1.0, "loss scale"), "label_prob": a("int", 0, "labels are probabilities"), **ORDER, "axis": a("int", 1, "axis")})
op("SigmoidCrossEntropyWithLogits", "Loss", "binary cross-entropy on logits, averaged over the last axis", ["logits", "targets"], ["xentropy"],
   {"log_D_trick": a("int", 0, "GAN trick"), "unjoined_lr_loss": a("int", 0, "unjoined loss")})
op("AveragedLoss", "Loss", "mean of all elements (a scalar)", ["input"], ["output"])
op("Accuracy", "Loss", "fraction of rows whose label is in the top_k predictions", ["predictions", "labels"], ["accuracy"],
   {"top_k": a("int", 1, "k")})
op("SmoothL1Loss", "Loss", "smooth L1 box regression loss", ["Y_hat", "Y", "alpha_in", "alpha_out"], ["loss"],
   {"beta": a("float", 1.0, "transition point"), "scale": a("float", 1.0, "loss scale")})

# ---------------------------------------------------------------- Other
op("PackedInt8BGRANHWCToNCHWCStylizerPreprocess", "Data",
   "style transfer input (AICamera): uint8 BGRA NHWC image -> float BGR NCHW minus mean, plus cached Gaussian noise",
   ["X", "mean"], ["Y"], {"noise_std": a("float", 10.0, "std of the noise added (0: none)"),
                          "noise_size": a("int", 491, "length of the noise cycle (prime to avoid artifacts)")})
op("BRGNCHWCToPackedInt8BGRAStylizerDeprocess", "Data",
   "style transfer output (AICamera): float BGR NCHW plus mean -> uint8 BGRA NHWC (clamped, alpha 255)",
   ["X", "mean"], ["Y"])
op("ATen", "Other", "a PyTorch ATen operator (only a PyTorch-linked Caffe2 runs it)", ["inputs*"], ["outputs*"],
   {"operator": a("string", doc="ATen op name"), "overload_name": a("string", "", "overload")})
op("Print", "Other", "print the input tensor", ["tensor"], [], {"to_file": a("int", 0, "write to a file"), "limit": a("int", 0, "max elements")})
op("Python", "Other", "a Python callback op (not portable)", ["inputs*"], ["outputs*"], {"token": a("string", doc="registered function")})
op("FlexibleTopK", "Other", "top-k per row with per-row k", ["input", "k"], ["values", "indices"])
op("TopK", "Other", "the k largest values along the last axis and their indices", ["X"], ["Values", "Indices", "Flattened_indices?"],
   {"k": a("int", -1, "number of values"), "axis": a("int", -1, "axis")})
op("LengthsSum", "Other", "sum of consecutive segments given by lengths", ["DATA", "LENGTHS"], ["OUTPUT"])
op("SparseLengthsSum", "Other", "embedding bag: sum of gathered rows per segment", ["DATA", "INDICES", "LENGTHS"], ["OUTPUT"])
op("Iter", "Other", "increment an int64 iteration counter", ["iter"], ["iter"])


def build() -> dict:
    return {"version": 1, "ops": dict(sorted(OPS.items()))}


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(build(), f, indent=1, sort_keys=False)
        f.write("\n")
    print(f"wrote {len(OPS)} ops to {path}")


if __name__ == "__main__":
    main()
