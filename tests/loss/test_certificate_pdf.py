"""The printable collection certificate, built directly (R-REP-4): its text reads back,
its QR code decodes to its number, and it is one A5 page."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pypdfium2
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from sscard.loss.certificate import TITLE, TITLE_EN, CollectionCertificate, particulars, render_pdf

SAMPLE = CollectionCertificate(
    certificate_no="1101057305829164",
    holder_name="欧阳小明",
    masked_id_number="110105********1234",
    old_card_no="1101050000012345",
    new_card_no="1101050000012352",
    reason="lost",
    applied_on=date(2026, 3, 2),
    ready_on=date(2026, 3, 23),
    valid_until=date(2026, 5, 1),
    issuing_region="110105 北京市朝阳区",
    collect_at="北京市朝阳区受理补卡申请的社会保障卡服务网点",
    hotline="96102",
)
A5_POINTS = (419.5, 595.3)


def text_of(pdf: bytes) -> str:
    """The page's text as a reader extracts it, lines joined (long values wrap)."""
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    return page.extract_text().replace("\n", "")


def qr_codes_of(pdf: bytes) -> list[str]:
    """What a scanner reads from the page rendered at 144 dpi."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=2).to_numpy()
    return [
        barcode.text for barcode in zxingcpp.read_barcodes(image) if barcode.format == zxingcpp.BarcodeFormat.QRCode
    ]


def test_r_rep_4_every_particular_reads_back_from_the_page() -> None:
    text = text_of(render_pdf(SAMPLE))
    assert TITLE in text
    assert TITLE_EN in text
    for label, label_en, value in particulars(SAMPLE):
        assert label in text
        assert label_en in text
        assert value in text
    for expected in ("欧阳小明", "110105********1234", "遗失", "2026-03-23", "2026-05-01", "北京市朝阳区", "96102"):
        assert expected in text


def test_r_rep_4_the_qr_code_decodes_to_the_certificate_number() -> None:
    assert qr_codes_of(render_pdf(SAMPLE)) == ["1101057305829164"]


def test_r_rep_4_the_certificate_is_one_a5_page_and_the_same_data_gives_the_same_bytes() -> None:
    pdf = render_pdf(SAMPLE)
    assert pdf.startswith(b"%PDF-")
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == A5_POINTS
    assert render_pdf(SAMPLE) == pdf
    assert render_pdf(replace(SAMPLE, certificate_no="1101050000000001")) != pdf


def test_r_rep_4_each_reason_is_named_in_chinese_and_english() -> None:
    names = {"lost": "遗失", "stolen": "被盗", "damaged": "损坏", "demagnetized": "消磁", "expired": "有效期满"}
    for reason, chinese in names.items():
        text = text_of(render_pdf(replace(SAMPLE, reason=reason)))
        assert f"{chinese}  {reason}" in text


@settings(max_examples=15, deadline=None)
@given(
    name=st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=12),
    number=st.from_regex(r"\A[0-9]{16}\Z"),
    where=st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=60),
)
def test_r_rep_4_any_name_number_and_address_fit_one_page_that_reads_back(name: str, number: str, where: str) -> None:
    pdf = render_pdf(replace(SAMPLE, holder_name=name, certificate_no=number, collect_at=where))
    text = text_of(pdf)
    assert name in text
    assert where in text
    assert qr_codes_of(pdf) == [number]
