"""QR codes as inline SVG: qrcode's path image (no raster, sharp at any print size), sized by
the page's CSS and named for screen readers. The posters and signature sheets carry one to a
proposal's page."""

from __future__ import annotations

import re

import qrcode
from django.utils.html import escape
from qrcode.image.svg import SvgPathImage


def qr_svg(text: str, *, label: str) -> str:
    """An <svg> of `text` as a QR code (error correction M: a poster outdoors gets dirty),
    with the quiet zone the standard asks (four modules)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, image_factory=SvgPathImage
    )
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    opening = f'<svg class="qr" role="img" aria-label="{escape(label)}"'
    return re.sub(r'^<svg width="[^"]*" height="[^"]*"', opening, svg, count=1)
