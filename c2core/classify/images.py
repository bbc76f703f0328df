"""Load images for classification: any common format, upright, always RGB.

Photos from phones store their rotation in EXIF instead of in the pixels;
grayscale, palette and alpha images must become three channels before any
preprocessing preset applies. A file that is not an image is a user error
(`C2Error` naming the file and what PIL said), never a traceback.
"""

from __future__ import annotations

import os

from ..errors import C2Error
from ..io.user_files import IMAGE_EXTS  # noqa: F401  (the one list; classify's callers import it from here)


def load_image(path: str, background=(255, 255, 255)):
    """A PIL RGB image, EXIF orientation applied, alpha composited on `background`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = os.fspath(path)
    if not os.path.exists(path):
        raise C2Error("no such image file", path)
    if os.path.isdir(path):
        raise C2Error("is a folder, expected an image file", path)
    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im)
    except UnidentifiedImageError:
        raise C2Error("not an image (PIL cannot identify this file)", path) from None
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise C2Error(f"cannot read image: {e}", path) from None
    return to_rgb(im, background)


def to_rgb(im, background=(255, 255, 255)):
    """Grayscale, palette, CMYK, 16-bit or alpha images -> 8-bit RGB."""
    from PIL import Image

    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        import numpy as np

        a = np.asarray(im, dtype=np.float64)
        hi = a.max() or 1.0
        im = Image.fromarray((a / hi * 255.0).round().astype("uint8"), "L")
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, tuple(background) + (255,))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    return im.convert("RGB")


def list_images(folder: str) -> list[str]:
    """Image files directly in `folder`, sorted by name (by extension, not content)."""
    if not os.path.isdir(folder):
        raise C2Error("not a folder", folder)
    return sorted(os.path.join(folder, f) for f in os.listdir(folder)
                  if f.lower().endswith(IMAGE_EXTS) and os.path.isfile(os.path.join(folder, f)))
