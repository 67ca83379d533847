"""Image checks and cleaning, on real files made in the tests."""
from __future__ import annotations

import io

import imagehash
import pytest
from PIL import Image

from bot.photos.cleaning import ImageRefused, clean_image, wgs84_to_gcj02
from tests import images

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 40_000_000}


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("latitude, longitude", [(37.70305, 112.43402), (-33.85978, -70.65)])
def test_gps_is_read_in_both_hemispheres(latitude, longitude):
    clean = clean_image(images.jpeg(latitude=latitude, longitude=longitude), **LIMITS)
    assert clean.gps_wgs84 == pytest.approx((latitude, longitude), abs=1e-5)


def test_the_stored_copies_carry_no_metadata_at_all():
    data = images.jpeg(latitude=37.70305, longitude=112.43402, taken="2026:11:20 08:15:00", orientation=1)
    clean = clean_image(data, **LIMITS)
    for copy in (clean.display, clean.thumbnail):
        image = opened(copy)
        assert dict(image.getexif()) == {} and "exif" not in image.info
        assert b"Exif" not in copy[:4096]
    assert clean.taken_at.isoformat() == "2026-11-20T08:15:00"


@pytest.mark.parametrize("offset, utc", [(None, "2026-11-20T00:15:00"), ("+09:00", "2026-11-19T23:15:00"),
                                         ("-05:30", "2026-11-20T13:45:00"), ("8 hours", "2026-11-20T00:15:00")],
                         ids=["beijing-without-offset", "tokyo", "india-west", "malformed-offset"])
def test_the_time_taken_is_read_in_utc_by_its_exif_offset_else_as_beijing_time(offset, utc):
    clean = clean_image(images.jpeg(taken="2026:11:20 08:15:00", offset=offset), **LIMITS)
    assert clean.taken_at_utc.isoformat() == utc


def test_exif_orientation_is_applied():
    clean = clean_image(images.jpeg(images.scene(2, (800, 400)), orientation=6), **LIMITS)
    assert (clean.width, clean.height) == (400, 800)
    assert opened(clean.display).size == (400, 800)


def test_display_and_thumbnail_sizes():
    clean = clean_image(images.jpeg(images.scene(3, (4000, 3000))), **LIMITS)
    assert max(opened(clean.display).size) == 1600 and max(opened(clean.thumbnail).size) == 320


def test_png_with_transparency_becomes_a_jpeg_on_white():
    clean = clean_image(images.png_with_alpha(), **LIMITS)
    display = opened(clean.display)
    assert clean.source_format == "PNG" and display.format == "JPEG"
    assert display.getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=3)


@pytest.mark.parametrize("make, reason", [
    (images.truncated_jpeg, "broken"),
    (images.text_named_jpg, "not_image"),
    (images.decompression_bomb, "too_many_pixels"),
    (images.thirty_megabytes, "too_large"),
])
def test_hostile_or_broken_files_are_refused_with_a_reason(make, reason):
    with pytest.raises(ImageRefused) as refused:
        clean_image(make(), **LIMITS)
    assert refused.value.reason == reason


def test_a_gif_is_refused_as_a_format():
    out = io.BytesIO()
    images.scene(4).save(out, "GIF")
    with pytest.raises(ImageRefused) as refused:
        clean_image(out.getvalue(), **LIMITS)
    assert refused.value.reason == "format"


def test_the_same_scene_hashes_close_and_another_scene_far():
    original = clean_image(images.jpeg(images.scene(5, (1600, 1200))), **LIMITS)
    resent = clean_image(images.jpeg(images.scene(5, (1600, 1200)).resize((800, 600)), quality=60), **LIMITS)
    other = clean_image(images.jpeg(images.scene(6, (1600, 1200))), **LIMITS)
    distance = lambda a, b: imagehash.hex_to_hash(a.phash) - imagehash.hex_to_hash(b.phash)  # noqa: E731
    assert distance(original, resent) <= 6
    assert distance(original, other) >= 16


def test_wgs84_is_shifted_to_gcj02_inside_china_only():
    latitude, longitude = wgs84_to_gcj02(37.70305, 112.43402)
    assert 0.0005 < abs(longitude - 112.43402) < 0.01 and abs(latitude - 37.70305) < 0.01
    assert wgs84_to_gcj02(-33.85978, -70.65) == (-33.85978, -70.65)


def test_a_file_cut_off_inside_its_header_is_refused_as_broken():
    with pytest.raises(ImageRefused) as refused:
        clean_image(b"\xff\xd8\xff\xe0 not a whole photo", **LIMITS)
    assert refused.value.reason in {"broken", "not_image"}


def test_an_iphone_heic_photo_is_accepted():
    from pillow_heif import register_heif_opener
    register_heif_opener()
    out = io.BytesIO()
    images.scene(8, (640, 480)).save(out, "HEIF")
    clean = clean_image(out.getvalue(), **LIMITS)
    assert clean.source_format == "HEIF" and opened(clean.display).format == "JPEG"
