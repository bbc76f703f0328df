"""Image loading: formats, EXIF orientation, grayscale/alpha -> RGB, non-images."""

import numpy as np
import pytest
from PIL import Image

from c2core.classify import list_images, load_image
from c2core.errors import C2Error


def _gradient(w=6, h=4):
    a = np.zeros((h, w, 3), np.uint8)
    a[..., 0] = np.arange(w)[None, :] * 40
    a[..., 1] = np.arange(h)[:, None] * 60
    a[..., 2] = 7
    return a


@pytest.mark.parametrize("ext,fmt", [(".png", "PNG"), (".bmp", "BMP"), (".webp", "WEBP")])
def test_lossless_formats_round_trip(tmp_path, ext, fmt):
    a = _gradient()
    p = tmp_path / f"x{ext}"
    Image.fromarray(a).save(p, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    im = load_image(p)
    assert im.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(im), a)


def test_jpeg_exif_orientation_is_applied(tmp_path):
    # Orientation 6: the stored pixels must be rotated 90 degrees clockwise for display.
    a = np.zeros((20, 40, 3), np.uint8)
    a[:, :20] = (255, 0, 0)  # left half red
    a[:, 20:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6
    p = tmp_path / "rot.jpg"
    Image.fromarray(a).save(p, "JPEG", exif=exif.tobytes(), quality=95)
    im = np.asarray(load_image(p)).astype(int)
    assert im.shape == (40, 20, 3)  # width and height swapped
    # Rotating clockwise puts the stored left (red) half on top.
    assert im[5, 10, 0] > 200 and im[5, 10, 2] < 60
    assert im[35, 10, 2] > 200 and im[35, 10, 0] < 60


def test_grayscale_becomes_three_equal_channels(tmp_path):
    g = (np.arange(24, dtype=np.uint8) * 10).reshape(4, 6)
    p = tmp_path / "g.png"
    Image.fromarray(g, "L").save(p)
    im = np.asarray(load_image(p))
    assert im.shape == (4, 6, 3)
    for c in range(3):
        np.testing.assert_array_equal(im[..., c], g)


def test_alpha_is_composited_on_white(tmp_path):
    a = np.zeros((2, 2, 4), np.uint8)
    a[0, 0] = (0, 0, 0, 0)        # fully transparent -> white
    a[0, 1] = (0, 0, 0, 255)      # opaque black stays black
    a[1, 0] = (200, 100, 0, 128)  # half: c*a + 255*(1-a)
    a[1, 1] = (10, 20, 30, 255)
    p = tmp_path / "a.png"
    Image.fromarray(a, "RGBA").save(p)
    im = np.asarray(load_image(p)).astype(int)
    assert tuple(im[0, 0]) == (255, 255, 255)
    assert tuple(im[0, 1]) == (0, 0, 0)
    expect = [round(c * 128 / 255 + 255 * (1 - 128 / 255)) for c in (200, 100, 0)]
    assert np.abs(im[1, 0] - expect).max() <= 1
    assert tuple(im[1, 1]) == (10, 20, 30)


def test_palette_image(tmp_path):
    a = _gradient()
    p = tmp_path / "p.gif"
    Image.fromarray(a).convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(p)
    assert load_image(p).mode == "RGB"


def test_not_an_image_is_a_user_error(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("hello")
    with pytest.raises(C2Error, match="not an image"):
        load_image(p)
    with pytest.raises(C2Error, match="no such image"):
        load_image(tmp_path / "missing.png")


def test_list_images_by_extension(tmp_path):
    for n in ("b.PNG", "a.jpg", "c.txt"):
        (tmp_path / n).write_bytes(b"")
    assert [p.split("/")[-1] for p in list_images(tmp_path)] == ["a.jpg", "b.PNG"]
