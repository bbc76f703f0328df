"""--calib DIR / --calib-count N for commands that take backend specs (classify,
compare, bench): the `openvino:int8` and `onnxruntime:int8` specs quantize the
model once with these images (cached by model and calibration set, see
c2core/quantize/cache.py)."""

from __future__ import annotations


def add_calib_arguments(p) -> None:
    g = p.add_argument_group("int8 backends (openvino:int8, onnxruntime:int8)")
    g.add_argument("--calib", metavar="DIR", help="calibration images: quantize the model once (cached) for the :int8 specs")
    g.add_argument("--calib-count", type=int, default=300, metavar="N",
                   help="calibration images to use (default 300, or all when fewer)")


def calib_options(args, specs) -> dict:
    """Backend options carrying the calibration set; an :int8 CPU spec without --calib is refused up front."""
    from c2core.backends import parse_spec
    from c2core.errors import C2Error

    int8 = [s for s in specs if parse_spec(s)[1] == "int8" and parse_spec(s)[0] in ("openvino", "onnxruntime")]
    if int8 and not args.calib:
        raise C2Error(f"{', '.join(int8)} quantize the model first: give --calib DIR (a folder of calibration images)",
                      "--calib")
    if args.calib_count is not None and args.calib_count < 1:
        raise C2Error(f"must be at least 1, not {args.calib_count}", "--calib-count")
    return {"calib": args.calib, "calib_count": args.calib_count} if args.calib else {}
