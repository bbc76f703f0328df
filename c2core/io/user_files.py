"""Files a user names: which are images, and one wording for every OSError on them.

Every reader of a user's file (nets, value_info.json, model.json, .npy, labels,
images, manifests) turns an OSError into `file_error(e, path)`, so the CLI's
`error: <file>: <reason>` says the same thing for the same failure everywhere.
"""

from __future__ import annotations

import errno
import os

from ..errors import C2FormatError

# every image suffix c2core reads (PIL decodes them all); the app's file dialogs use the same list
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff", ".ppm", ".pgm")


def is_image_path(path: str) -> bool:
    return os.fspath(path).lower().endswith(IMAGE_EXTS)


def file_error(e: OSError, path: str, what: str = "") -> C2FormatError:
    """The C2Error for an OSError met while reading the user's `path` (what: "labels", "image" ...)."""
    code = getattr(e, "errno", None)
    if isinstance(e, FileNotFoundError) or code == errno.ENOENT:
        reason = "no such file"
    elif isinstance(e, IsADirectoryError) or code == errno.EISDIR:
        reason = "is a folder, expected a file"
    elif isinstance(e, PermissionError) or code in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    else:
        reason = f"cannot read{' ' + what if what else ''}: {e.strerror or e}"
    return C2FormatError(reason, os.fspath(path))


def read_user_file(path: str, limit: int | None = None) -> bytes:
    """The bytes of a user's file; C2FormatError (one wording) when it cannot be read
    or is larger than `limit` bytes (sizes from files are untrusted)."""
    try:
        if limit is not None and os.path.getsize(path) > limit:
            raise C2FormatError(f"file is {os.path.getsize(path):,} bytes, more than the {limit:,} this reader takes",
                                os.fspath(path))
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise file_error(e, path) from None
