"""The PDF receipt of a paid order (fpdf2).

Names come from every country: the receipt is printed with the fonts of
registration/pdf.py (shared with badges and visa letters): a Unicode TrueType font found
on the machine, with a CJK fallback when one is installed; a character no font has is
printed as "?" rather than left out silently. The labels are in the reader's language
when the fonts can write it, else in English.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from models import Order, utcnow

from . import payments
from .core import METHOD_LABELS, ORDER_STATUS_LABELS
from .pdf import FontSet, PdfDocument, printable


def _labels() -> dict[str, str]:
    return {
        "title": _("Receipt"),
        "number": _("Receipt number"),
        "paid_on": _("Paid on"),
        "order": _("Order reference"),
        "billed_to": _("Billed to"),
        "item": _("Item"),
        "quantity": _("Quantity"),
        "unit": _("Unit price"),
        "amount": _("Amount"),
        "total": _("Total paid"),
        "method": _("Payment method"),
        "reference": _("Payment reference"),
        "refunds": _("Refunds"),
        "net": _("Net amount paid"),
        "status": _("Status"),
        "issued": _("Issued by the secretariat of %(event)s on %(date)s."),
        "attention": _("This receipt confirms a payment received; it is not a tax invoice."),
    }


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def receipt_pdf(
    order: Order, *, fonts: FontSet | None = None, compress: bool | None = None
) -> bytes:
    """The receipt of a paid order as PDF bytes."""
    return printable(lambda: _write(order, fonts, compress), fonts)


class _Receipt(PdfDocument):
    """An A4 page with the receipt's lines and table rows."""

    def line(self, text: Any, size: float = 10, bold: bool = False, h: float = 6) -> None:
        self.use(size, bold)
        self.multi_cell(0, h, self.clean(text), new_x="LMARGIN", new_y="NEXT")

    def row(self, cells: list[tuple[Any, float, str]], bold: bool = False, fill=False) -> None:
        self.use(10, bold)
        for text, width, align in cells:
            self.cell(width, 8, self.clean(text), border="B", align=align, fill=fill)
        self.ln(8)


def _write(order: Order, fonts: FontSet | None, compress: bool | None) -> bytes:
    labels = _labels()
    status_label = str(ORDER_STATUS_LABELS[order.status])
    method_label = str(METHOD_LABELS[order.method])
    pdf = _Receipt("A4", fonts=fonts, compress=compress)
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    event = order.item.event
    item = order.item
    registration = order.registration
    amount = payments.plain_amount
    currency = order.currency

    pdf.line(event.name, size=11, bold=True)
    pdf.line(f"{event.acronym} · {event.city}", size=9)
    pdf.ln(4)
    pdf.line(labels["title"], size=20, bold=True, h=10)
    pdf.ln(2)
    for label, value in (
        (labels["number"], order.receipt_number or "—"),
        (labels["paid_on"], _when(order.paid_at)),
        (labels["order"], payments.order_reference(order)),
        (labels["status"], status_label),
    ):
        pdf.use(10, True)
        pdf.cell(45, 6, pdf.clean(label))
        pdf.use(10)
        pdf.cell(0, 6, pdf.clean(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.line(labels["billed_to"], bold=True)
    pdf.line(payments.buyer_name(order))
    if registration is not None:
        if registration.organization_name:
            pdf.line(registration.organization_name)
        if registration.email:
            pdf.line(registration.email)
    elif order.user is not None:
        pdf.line(order.user.email)
    pdf.ln(4)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    columns = (width - 90, 20, 35, 35)
    pdf.set_fill_color(235, 240, 245)
    pdf.row(
        [
            (labels["item"], columns[0], "L"),
            (labels["quantity"], columns[1], "R"),
            (labels["unit"], columns[2], "R"),
            (labels["amount"], columns[3], "R"),
        ],
        bold=True,
        fill=True,
    )
    pdf.row(
        [
            (item.name, columns[0], "L"),
            (str(order.quantity), columns[1], "R"),
            (f"{currency} {amount(item.price_cents)}", columns[2], "R"),
            (f"{currency} {amount(order.amount_cents)}", columns[3], "R"),
        ]
    )
    pdf.row(
        [
            (labels["total"], columns[0] + columns[1] + columns[2], "R"),
            (f"{currency} {amount(order.amount_cents)}", columns[3], "R"),
        ],
        bold=True,
    )
    pdf.ln(4)
    pdf.line(f"{labels['method']}: {method_label}")
    if order.payment_reference:
        pdf.line(f"{labels['reference']}: {order.payment_reference}")
    refunds = payments.refunds_of(order)
    if refunds:
        pdf.ln(3)
        pdf.line(labels["refunds"], bold=True)
        for r in refunds:
            pdf.line(f"{_when(r.created_at)}: {currency} -{amount(r.amount_cents)}")
        pdf.line(
            f"{labels['net']}: {currency} {amount(order.amount_cents - order.refunded_cents)}",
            bold=True,
        )
    pdf.ln(8)
    issued = labels["issued"] % {"event": event.acronym, "date": utcnow().strftime("%Y-%m-%d")}
    pdf.line(issued, size=8)
    pdf.line(labels["attention"], size=8)
    pdf.set_title(pdf.clean(f"{labels['title']} {order.receipt_number or ''}"))
    return bytes(pdf.output())
