"""Money and periods, in one place: rounding, months, proration and VAT totals.

Proration rule: a subscription is billed for the days it is open inside the month, its start
and end days included. Open the whole month, it is billed one month; otherwise the quantity is
units x days open / days in the month, rounded to four decimals, and the line amount is that
quantity times the unit price, rounded to the cent (half up). VAT is computed per rate on the
sum of the lines at that rate (EN 16931), and shown per line for information.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
QUANTITY = Decimal("0.0001")
HUNDRED = Decimal(100)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(value: Decimal) -> Decimal:
    return value.quantize(QUANTITY, rounding=ROUND_HALF_UP)


def month_end(start: datetime.date) -> datetime.date:
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def previous_month(today: datetime.date) -> datetime.date:
    """The first day of the month before `today`'s."""
    return month_start(month_start(today) - datetime.timedelta(days=1))


def days_open(
    start: datetime.date,
    end: datetime.date | None,
    period_start: datetime.date,
    period_end: datetime.date,
) -> int:
    first = max(start, period_start)
    last = min(end, period_end) if end else period_end
    return max((last - first).days + 1, 0)


@dataclass(frozen=True)
class LineDraft:
    label: str
    detail: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    subscription_id: int | None = None
    credited_line_id: int | None = None

    @property
    def total_excl_vat(self) -> Decimal:
        return money(self.quantity * self.unit_price)

    @property
    def vat_amount(self) -> Decimal:
        return money(self.total_excl_vat * self.vat_rate / HUNDRED)


def prorated_quantity(units: int, days: int, month_days: int) -> Decimal:
    if days >= month_days:
        return Decimal(units)
    return quantity(Decimal(units) * days / month_days)


@dataclass(frozen=True)
class Totals:
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal
    breakdown: tuple[dict[str, Decimal], ...]

    def breakdown_json(self) -> list[dict[str, str]]:
        return [{key: str(value) for key, value in entry.items()} for entry in self.breakdown]


def totals(lines: Iterable[LineDraft]) -> Totals:
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        bases[line.vat_rate] += line.total_excl_vat
    breakdown = tuple(
        {"rate": rate, "basis": basis, "amount": money(basis * rate / HUNDRED)}
        for rate, basis in sorted(bases.items(), reverse=True)
    )
    excl = sum((entry["basis"] for entry in breakdown), Decimal("0.00"))
    vat = sum((entry["amount"] for entry in breakdown), Decimal("0.00"))
    return Totals(excl_vat=excl, vat=vat, incl_vat=excl + vat, breakdown=breakdown)
