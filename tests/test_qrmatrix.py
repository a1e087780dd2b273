"""The one QR encoder: what it draws (matrix, poster image, placard SVG) scans back to the text, at level M."""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image

from yunzhan import qrmatrix, sharedraw

URL = "https://example.org/expo/2024/s/k3f9q/"


def _scan(image: Image.Image) -> zxingcpp.Barcode:
    found = zxingcpp.read_barcode(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found is not None, "no QR code found"
    return found


def _image_of(rows: tuple[bytes, ...], scale: int = 8) -> Image.Image:
    """The matrix as a Pillow image, black on white, with its quiet zone, as a camera would see it."""
    side = len(rows) + 2 * qrmatrix.QUIET_ZONE
    im = Image.new("L", (side, side), 255)
    for y, row in enumerate(rows, qrmatrix.QUIET_ZONE):
        for x, cell in enumerate(row, qrmatrix.QUIET_ZONE):
            if cell:
                im.putpixel((x, y), 0)
    return im.resize((side * scale, side * scale), Image.Resampling.NEAREST)


def test_the_matrix_scans_back_to_the_url_at_level_m_or_better() -> None:
    rows = qrmatrix.qr_matrix(URL)
    assert len(rows) == len(rows[0]) and (len(rows) - 17) % 4 == 0  # a model 2 symbol, not Micro QR
    assert set(b"".join(rows)) == {0, 1}
    found = _scan(_image_of(rows))
    assert found.text == URL and found.ec_level in ("M", "Q", "H")


def test_the_poster_image_scans_back_to_the_url() -> None:
    image = sharedraw.qr_image(URL, 300)
    assert image.mode == "RGB" and image.width <= 300 and image.width == image.height
    assert _scan(image).text == URL


def test_the_svg_path_draws_the_matrix() -> None:
    """The path's relative moves, replayed, land on exactly the matrix's dark modules, inside the quiet zone."""
    rows = qrmatrix.qr_matrix(URL)
    svg = qrmatrix.qr_svg(URL, "二维码：火箭")
    side = len(rows) + 8
    assert f'viewBox="0 0 {side} {side}"' in svg and 'shape-rendering="crispEdges"' in svg
    path = re.search(r' d="([^"]*)"', svg).group(1)
    assert _replayed(path) == _dark(rows)


def test_the_path_skips_light_rows_and_moves_back_from_a_row_ending_dark() -> None:
    """Rows with no dark module add no step (the next row's move spans them); a row ending dark leaves the pen
    at its end; a longer code (version 10) draws its matrix too."""
    for rows in [
        (b"\x00\x00\x00", b"\x01\x00\x01", b"\x00\x00\x00", b"\x00\x01\x01", b"\x01\x00\x00"),
        (b"\x01\x01", b"\x00\x00", b"\x01\x00"),
        qrmatrix.qr_matrix(URL * 6),
    ]:
        assert _replayed(qrmatrix._path(rows)) == _dark(rows)
    assert qrmatrix._path((b"\x00\x00",)) == ""


def _replayed(path: str) -> set[tuple[int, int]]:
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for move, dx, dy, run in re.findall(r"([Mm])(-?\d+) (-?[\d.]+)h(\d+)", path):
        x, y = (int(dx), float(dy)) if move == "M" else (x + int(dx), y + float(dy))
        dark |= {(int(x) + i, int(y)) for i in range(int(run))}
        x += int(run)
    return dark


def _dark(rows: tuple[bytes, ...]) -> set[tuple[int, int]]:
    return {(c + 4, r + 4) for r, row in enumerate(rows) for c, cell in enumerate(row) if cell}
