"""The printable card collection certificate (R-REP-4): data in, PDF bytes out.

The Chinese text is set in STSong-Light, one of Adobe's standard CJK fonts, which is not
embedded: the reader draws it with its own Chinese font (Acrobat's Asian font pack,
poppler with poppler-data), so no font file is needed to make the page, and the
predefined UniGB-UCS2-H CMap keeps the text extractable. The QR code is drawn as vector
squares from segno's matrix, so it prints sharp at any size.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

CJK, LATIN = "STSong-Light", "Helvetica"

TITLE = "社会保障卡领卡凭证（临时就医凭证）"
TITLE_EN = "Social Security Card Collection Certificate (Temporary Medical Certificate)"
REASONS = {
    "lost": ("遗失", "lost"),
    "stolen": ("被盗", "stolen"),
    "damaged": ("损坏", "damaged"),
    "demagnetized": ("消磁", "demagnetized"),
    "expired": ("有效期满", "expired"),
}
NOTES = (
    "领取新卡时请携带本人居民身份证和本凭证。",
    (
        "领到新卡之前，本凭证可在发证城市的定点医疗机构和定点药店作为临时就医凭证使用，"
        "须同时出示持卡人居民身份证号码；本凭证无银行功能，有效期满或领到新卡后失效。"
    ),
)
NOTES_EN = (
    "Bring your resident ID card and this certificate to collect the new card. Until then it serves as a",
    "temporary medical certificate at designated institutions of the issuing city only; no bank functions.",
)
mm = 72 / 25.4  # points
WIDTH, HEIGHT = 148 * mm, 210 * mm  # A5
MARGIN = 14 * mm


@dataclass(frozen=True, slots=True)
class CollectionCertificate:
    """What the certificate shows; the ID number already masked (API.md Conventions)."""

    certificate_no: str
    holder_name: str
    masked_id_number: str
    old_card_no: str
    new_card_no: str
    reason: str
    applied_on: date
    ready_on: date
    valid_until: date
    issuing_region: str
    collect_at: str
    hotline: str


def render_pdf(certificate: CollectionCertificate) -> bytes:
    """One A5 page: title, the certificate's particulars, notes and a QR code of its number."""
    out = io.BytesIO()
    canvas = new_page(out, TITLE, f"{TITLE_EN} {certificate.certificate_no}")
    draw_heading(canvas, TITLE, TITLE_EN, 15)
    below_rows = draw_particulars(canvas, particulars(certificate), HEIGHT - 40 * mm)
    _qr(canvas, certificate.certificate_no, below_rows - 4 * mm)
    _notes(canvas, certificate.hotline)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def new_page(out: io.BytesIO, title: str, subject: str) -> Canvas:
    """An A5 page of the office's printouts (this certificate, the receipt, the notice)."""
    # invariant: no creation date or random document id, so the same data gives the same bytes
    canvas = _canvas_class()(out, pagesize=(WIDTH, HEIGHT), invariant=True, pageCompression=1)
    canvas.setTitle(title)
    canvas.setSubject(subject)
    canvas.setCreator("sscard")
    return canvas


@cache
def _canvas_class() -> type[Canvas]:
    """reportlab, loaded and its CJK font registered on the first certificate: a second
    of start-up that no other command should pay."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(UnicodeCIDFont(CJK))
    return Canvas


def draw_heading(canvas: Canvas, title: str, title_en: str, size: float) -> None:
    """The title in Chinese at `size` points, in English below it, and a rule."""
    canvas.setFont(CJK, size)
    canvas.drawCentredString(WIDTH / 2, HEIGHT - 20 * mm, title)
    canvas.setFont(LATIN, 7.5)
    canvas.drawCentredString(WIDTH / 2, HEIGHT - 26 * mm, title_en)
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, HEIGHT - 30 * mm, WIDTH - MARGIN, HEIGHT - 30 * mm)


def particulars(certificate: CollectionCertificate) -> list[tuple[str, str, str]]:
    """(Chinese label, English label, value), in the order they are printed."""
    reason_zh, reason_en = REASONS.get(certificate.reason, (certificate.reason, certificate.reason))
    return [
        ("持卡人姓名", "Holder", certificate.holder_name),
        ("公民身份号码", "ID number", certificate.masked_id_number),
        ("原卡号", "Old card no.", certificate.old_card_no),
        ("新卡号", "New card no.", certificate.new_card_no),
        ("补换卡原因", "Reason", f"{reason_zh}  {reason_en}"),
        ("申请日期", "Applied on", certificate.applied_on.isoformat()),
        ("新卡制成日期", "Ready on", certificate.ready_on.isoformat()),
        ("有效期至", "Valid until", f"{certificate.valid_until.isoformat()}（含当日 inclusive）"),
        ("发证地区", "Issuing region", certificate.issuing_region),
        ("领卡地点", "Where to collect", certificate.collect_at),
        ("凭证号码", "Certificate no.", certificate.certificate_no),
    ]


def draw_particulars(canvas: Canvas, rows: list[tuple[str, str, str]], top: float) -> float:
    """(Chinese label, English label, value) rows from `top` down; the height below the last."""
    y, value_x = top, MARGIN + 34 * mm
    for label, label_en, value in rows:
        canvas.setFont(CJK, 10)
        canvas.drawString(MARGIN, y, label)
        canvas.setFont(LATIN, 6.5)
        canvas.drawString(MARGIN, y - 3.2 * mm, label_en)
        canvas.setFont(CJK, 10.5)
        for line in wrapped(value, WIDTH - MARGIN - value_x, 10.5):
            canvas.drawString(value_x, y, line)
            y -= 4.6 * mm
        y -= 3.8 * mm
    return y


def wrapped(text: str, width: float, size: float) -> Iterator[str]:
    """Lines no wider than `width`, broken between any two characters (Chinese has no spaces)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    line = ""
    for character in text:
        if line and stringWidth(line + character, CJK, size) > width:
            yield line
            line = ""
        line += character
    yield line


def _qr(canvas: Canvas, certificate_no: str, top: float) -> None:
    """The certificate number as a QR code with its quiet zone, centred, and the number below."""
    import segno

    matrix = segno.make_qr(certificate_no, error="m").matrix
    quiet, side = 4, 34 * mm
    module = side / (len(matrix) + 2 * quiet)
    left = (WIDTH - side) / 2 + quiet * module
    for row, modules in enumerate(matrix):
        y = top - (quiet + row + 1) * module
        for start, length in _dark_runs(modules):
            canvas.rect(left + start * module, y, length * module, module, stroke=0, fill=1)
    canvas.setFont(LATIN, 8)
    canvas.drawCentredString(WIDTH / 2, top - side - 1 * mm, certificate_no)


def _dark_runs(modules: bytearray) -> Iterator[tuple[int, int]]:
    """(first column, length) of each run of dark modules in a row: fewer, joined squares."""
    start = None
    for column, dark in enumerate([*modules, 0]):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            yield start, column - start
            start = None


def _notes(canvas: Canvas, hotline: str) -> None:
    y = 26 * mm
    canvas.setFont(CJK, 8)
    for note in NOTES:
        for line in wrapped(note, WIDTH - 2 * MARGIN, 8):
            canvas.drawString(MARGIN, y, line)
            y -= 3.8 * mm
    canvas.drawString(MARGIN, y, f"咨询电话 Hotline: {hotline}")
    canvas.setFont(LATIN, 6.5)
    for index, line in enumerate(NOTES_EN):
        canvas.drawString(MARGIN, 10 * mm - index * 3 * mm, line)
