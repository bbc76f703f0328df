"""Serve a model in Netron on localhost; prints the URL, stops cleanly on Ctrl-C.

Works for Caffe2 pairs (any naming: pairs Netron would not find by name are
staged under the names it expects), ONNX files and OpenVINO IR (.xml + .bin).
"""

from __future__ import annotations

import sys
import time


def add_arguments(p) -> None:
    p.add_argument("model", metavar="PATH", help="Caffe2 model (file or folder), .onnx or OpenVINO .xml")
    p.add_argument("--port", type=int, help="port (default: a free one)")
    p.add_argument("--host", default="localhost", help="interface to listen on (default localhost: this machine only; "
                   "another address warns, as the model is then visible on the network)")
    p.add_argument("--browse", action="store_true", help="also open the page in the default web browser")


def run(args) -> int:
    from c2core.netron_server import NetronServer

    srv = NetronServer(args.model, port=args.port, host=args.host).start()
    if not srv.loopback:
        print(f"WARNING: serving on {args.host}, which is reachable from other machines: anyone who can "
              f"connect can read this model (no authentication). Use the default host (localhost) unless "
              f"that is what you want.", file=sys.stderr, flush=True)
    try:
        print(srv.url, flush=True)
        print("serving; press Ctrl-C to stop", file=sys.stderr, flush=True)
        if args.browse:
            import webbrowser

            webbrowser.open(srv.url)
        while srv.running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        srv.stop()
    return 0
