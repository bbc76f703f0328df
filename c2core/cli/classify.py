"""Classify images with a model on any backend (c2, onnxruntime, openvino, tensorrt).

Prints the top-K classes per image, or with --json a list with one object per
image: {"image", "backend", "latency_ms", "top": [{"index", "label", "score"}]}.
Scores are softmax probabilities (applied once: a model ending in Softmax is
detected). A file that is not an image exits 2 with the reason.
"""

from __future__ import annotations

import json
import sys

from .inputs import add_shape_arguments


def add_arguments(p) -> None:
    from c2core.classify import PRESETS

    p.add_argument("model", metavar="PATH", help="Caffe2 model (file or folder), .onnx, OpenVINO .xml or TensorRT .plan")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="image files (JPEG, PNG, BMP, WebP, ...)")
    p.add_argument("--backend", default=None, help="c2 | onnxruntime | openvino | tensorrt, optionally :fp16/:int8 "
                                                   "(default: the model file's own: c2 for Caffe2, onnxruntime for .onnx, "
                                                   "openvino for .xml, tensorrt for .plan)")
    p.add_argument("--top", type=int, default=5, metavar="K", help="classes to show per image (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--preset", choices=sorted(PRESETS), help="preprocessing preset (default: the model's model.json, else torchvision)")
    p.add_argument("--labels", metavar="FILE",
                   help="labels file, one per line or JSON (default: model.json's; else ImageNet's for 1000 classes, "
                        "else 'class 0..N-1')")
    p.add_argument("--save-preset", action="store_true",
                   help="save the preprocessing used into the model's model.json (atomically) for next time")
    add_shape_arguments(p)
    from .calib_options import add_calib_arguments

    add_calib_arguments(p)


def run(args) -> int:
    from c2core.backends import parse_specs
    from c2core.classify import Classifier, load_image
    from c2core.cli.calib_options import calib_options
    from c2core.errors import C2Error, about

    if args.top < 1:
        raise C2Error("must be at least 1", "--top")
    if args.backend is None:
        from c2core.backends.source import NATIVE_BACKEND, kind_of

        args.backend = NATIVE_BACKEND[kind_of(args.model)]
    with about("--backend"):
        backend = parse_specs(args.backend)[0]
    images = [load_image(p) for p in args.images]  # a non-image exits 2 before any model work
    with about(args.model), Classifier(args.model, backend=backend, preset=args.preset, labels=args.labels,
                                       input_shapes=args.input_shape, value_info=args.value_info,
                                       backend_options=calib_options(args, [backend])) as clf:
        results = clf.classify_images(images, list(args.images), top=args.top)
        for w in clf.warnings:
            print(f"warning: {w}", file=sys.stderr)
        if args.save_preset:
            from c2core.classify import save_preprocessing

            if clf.source.folder is None:
                raise C2Error("this model has no folder to save model.json in", "--save-preset")
            print(f"saved preprocessing '{clf.preprocess.name}' to {save_preprocessing(clf.source.folder, clf.preprocess)}",
                  file=sys.stderr)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for r in results:
        print(f"{r['image']}  ({r['backend']}, {r['latency_ms']:.1f} ms)")
        for rank, t in enumerate(r["top"], 1):
            print(f"  {rank}. {t['score']:.4f}  {t['label']}  [{t['index']}]")
    return 0
