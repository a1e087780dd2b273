"""QR codes as module matrices, the one place they are encoded: placards draw them as inline SVG, share posters
with Pillow. zxing-cpp (Zint's encoder, compiled) encodes one in ~0.15 ms where segno took ~3-5 ms choosing its
mask in Python: 9 CPU-seconds of a cold build at 10,000 records.
"""

from __future__ import annotations

import re
from html import escape

QUIET_ZONE = 4  # modules of white around the code, as the standard asks
DARK_RUN = re.compile(b"\x01+")


def qr_matrix(text: str) -> tuple[bytes, ...]:
    """The modules of ``text``'s QR code (model 2, never Micro QR), a row of bytes each, 1 dark and 0 light,
    without the quiet zone. Error correction M (15 %), so a scuffed placard still scans. Not cached: encoding
    costs less than looking a drawing up."""
    import zxingcpp  # ~10 ms to import: only for a build that draws a code

    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = code.to_image(scale=1, add_quiet_zones=False)  # one byte a module: 0 dark, 255 light
    size = image.shape[1]
    pixels = memoryview(image).tobytes().translate(_DARK_AS_ONE)
    return tuple(pixels[i : i + size] for i in range(0, len(pixels), size))


_DARK_AS_ONE = bytes([1] + [0] * 255)


def qr_svg(text: str, label: str) -> str:
    """``text``'s QR code as inline SVG: sized by CSS (viewBox only), the quiet zone inside it, crisp edges,
    named for screen readers by ``label``. Each row's dark runs are one stroked path, moved relatively."""
    rows = qr_matrix(text)
    side = len(rows) + 2 * QUIET_ZONE
    steps: list[str] = []
    pen: tuple[int, int] | None = None
    for y, row in enumerate(rows, QUIET_ZONE):
        for run in DARK_RUN.finditer(row):
            x = run.start() + QUIET_ZONE
            if pen is None:
                steps.append(f"M{x} {y}.5h{run.end() - run.start()}")
            else:
                steps.append(f"m{x - pen[0]} {y - pen[1]}h{run.end() - run.start()}")
            pen = (x + run.end() - run.start(), y)
    name = escape(label)
    return (
        f'<svg role="img" aria-label="{name}" viewBox="0 0 {side} {side}" class="qr"><title>{name}</title>'
        f'<path shape-rendering="crispEdges" class="qrline" stroke="#000" d="{"".join(steps)}"/></svg>'
    )
