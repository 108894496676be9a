"""The check-in link as a QR code: an inline SVG drawn by segno (pure Python), so the organiser's
page and the printable poster need no JavaScript, no image file and no third-party service."""

import io

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str, *, title: str = "QR code of the check-in link") -> SafeString:
    """`url` as an inline <svg> (no XML declaration, sized by CSS through its viewBox).

    Safe to mark safe: segno writes only path data for the code, and `title` is escaped by segno.
    Error correction M survives a poster printed a little blurred or creased.
    """
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        omitsize=True,
        border=4,
        title=title,
        svgclass="qr-code",
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    return mark_safe(buffer.getvalue().decode())  # noqa: S308 - generated SVG, see the docstring
