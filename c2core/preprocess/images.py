"""Load images for classification: any common format, upright, always RGB.

Photos from phones store their rotation in EXIF instead of in the pixels;
grayscale, palette and alpha images must become three channels before any
preprocessing preset applies. A file that is not an image is a user error
(`C2Error` naming the file and what PIL said), never a traceback.

Image files are untrusted too: dimensions are read from the header before
any pixel is decoded and checked against limits (`MAX_PIXELS`,
`MAX_ASPECT`) and the memory budget. A JPEG larger than the pixel limit is
decoded at a reduced scale (PIL `draft`, the decoder's own DCT scaling);
any other format that large is refused (a PNG "decompression bomb" is a few
KB). Only regular files are opened: a FIFO named `x.jpg` would block forever.
"""

from __future__ import annotations

import os

from ..errors import C2Error
from ..io.user_files import IMAGE_EXTS  # noqa: F401  (the one list; classify's callers import it from here)

# Largest image decoded at full size (a 64-megapixel photo); a larger JPEG
# is decoded at 1/2, 1/4 or 1/8 scale, other formats are refused.
MAX_PIXELS = 64_000_000
# Longest side over shortest side: a 20000x1 strip would become a huge tensor
# once its short side is resized to the model's input size.
MAX_ASPECT = 64
# Bytes per pixel at the peak of classify's preprocessing (decoded pixels,
# their RGB copy, the float32 HWC and CHW arrays).
_PEAK_BYTES_PER_PIXEL = 40


def check_regular_file(path: str, what: str = "image file") -> os.stat_result:
    """stat of `path`, which must be an existing regular file (C2Error otherwise)."""
    import stat

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise C2Error(f"no such {what}", path) from None
    except OSError as e:
        raise C2Error(f"cannot read: {e.strerror or e}", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise C2Error(f"is a folder, expected an {what}" if what[0] in "aeiou" else f"is a folder, expected a {what}", path)
    if not stat.S_ISREG(st.st_mode):
        raise C2Error(f"is not a regular file (a pipe, device or socket), expected an {what}"
                      if what[0] in "aeiou" else f"is not a regular file (a pipe, device or socket), expected a {what}", path)
    return st


def check_image_size(w: int, h: int, path: str, bytes_per_pixel: int = _PEAK_BYTES_PER_PIXEL) -> None:
    """Dimensions from an image header: positive, a sane aspect ratio, within the budget."""
    from .. import budget

    if w <= 0 or h <= 0:
        raise C2Error(f"image is {w}x{h} pixels: empty", path)
    if max(w, h) > MAX_ASPECT * min(w, h):
        raise C2Error(f"image is {w}x{h} pixels: aspect ratio over {MAX_ASPECT}:1, not a picture a classifier can use",
                      path)
    budget.check_bytes(w * h * bytes_per_pixel, f"image ({w}x{h} pixels)", path)


def load_image(path: str, background=(255, 255, 255)):
    """A PIL RGB image, EXIF orientation applied, alpha composited on `background`."""
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError

    path = os.fspath(path)
    check_regular_file(path)
    try:
        with warnings.catch_warnings():
            # our own limits apply below; PIL's bomb warning would only add a second line
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > MAX_PIXELS and im.format == "JPEG":
                    k = next((k for k in (2, 4, 8) if (w // k) * (h // k) <= MAX_PIXELS), 8)
                    im.draft("RGB", (-(-w // k), -(-h // k)))  # the decoder's 1/k scale
                    w, h = im.size
                if w * h > MAX_PIXELS:
                    raise C2Error(f"image is {w}x{h} pixels ({w * h / 1e6:.0f} megapixels), over the "
                                  f"{MAX_PIXELS / 1e6:.0f}-megapixel limit (a decompression bomb?)", path)
                check_image_size(w, h, path)
                im.load()
                im = ImageOps.exif_transpose(im)
    except UnidentifiedImageError:
        raise C2Error("not an image (PIL cannot identify this file)", path) from None
    except Image.DecompressionBombError as e:
        raise C2Error(f"image is over the {MAX_PIXELS / 1e6:.0f}-megapixel limit (a decompression bomb?): {e}",
                      path) from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:
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
