"""How every number is written: exactly for machines, once for people.

Exact spellings (JSON, CSV, exports): ``dec_str`` (a decimal's one spelling), ``exact_str`` (a
ratio to 50 significant digits) and ``rounded_str`` (half away from zero, never a float).

For people (terminal tables, the demo, Markdown and HTML reports): ``NumberFormat`` holds the
choices of one rendering — ``--unit`` (``1``, ``k``, ``M``, ``B``, ``T``) and ``--places`` — and
writes amounts with thousands separators in that unit (``amount``, ``amounts`` for a column,
``unit_label`` for its header: ``JPY T``), shares of GDP in percent (``percent``) and
percentage points (``pp``) rounded half up. ``grouped`` and ``compact`` (``+¥1.52T``) are the
two fixed spellings reports use in running text. Nothing here pads or aligns: layout is the
renderer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from fractions import Fraction

RATIO_DIGITS = 50  # significant digits of an exact ratio that does not terminate
PLACES = 2  # default decimals of a share of GDP (%) and of a change in percentage points
MAX_PLACES = 20  # shares are exact to 50 digits; more places than this shows nothing new
SCALED_PLACES = 4  # at most this many decimals of an amount shown in a unit (T: ¥100 million)
UNITS: dict[str, int] = {"1": 0, "k": 3, "M": 6, "B": 9, "T": 12}  # unit -> power of ten
SYMBOLS = {"JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "CNY": "CN¥", "KRW": "₩"}
SCALES = ((Decimal(10) ** 12, "T"), (Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"))

Number = Fraction | Decimal | int | str


# -- exact ----------------------------------------------------------------------------------


def dec_str(value: Decimal) -> str:
    """The one spelling of an exact decimal: plain notation, no trailing fractional zeros."""
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def exact_str(value: Fraction | None) -> str:
    """A ratio to 50 significant digits (exact when it terminates sooner), plain notation."""
    if value is None:
        return ""
    with localcontext(Context(prec=RATIO_DIGITS)):
        return dec_str(Decimal(value.numerator) / Decimal(value.denominator))


def round_half_up(value: Fraction, places: int) -> Decimal:
    """Round an exact ratio half away from zero to ``places`` decimals (no float, no round())."""
    scale = 10**places
    scaled = abs(value) * scale
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    signed = -whole if value < 0 else whole
    with localcontext(Context(prec=RATIO_DIGITS + places)):
        return (
            Decimal(signed)
            .scaleb(-places)
            .quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        )


def rounded_str(value: Fraction | None, places: int) -> str:
    return "" if value is None else format(round_half_up(value, places), "f")


def as_fraction(value: Number | None) -> Fraction | None:
    """An exact value from a Fraction, a Decimal, an int or a decimal string (None for ``""``
    or None; a text that is no number is None too: it is shown as it is)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return Fraction(number) if number.is_finite() else None


# -- for people -----------------------------------------------------------------------------


def grouped(value: Decimal | Fraction | int, *, sign: bool = False) -> str:
    """Exact, with thousands separators: ``+1,100,000,000,000`` (no trailing zeros)."""
    if isinstance(value, Fraction):
        with localcontext(Context(prec=RATIO_DIGITS)):
            value = Decimal(value.numerator) / Decimal(value.denominator)
    value = Decimal(value)
    whole, _, fraction = dec_str(value).partition(".")
    text = format(int(whole), ",") + (f".{fraction}" if fraction else "")
    if value < 0 and not text.startswith("-"):
        text = "-" + text  # -0.5: int("-0") loses the sign
    return ("+" + text) if sign and value > 0 else text


def brief(value: Fraction, places: int = 10) -> str:
    """A ratio exact to ``places`` decimals, with ``…`` when it goes on: ``1.9728035714…``."""
    exact = exact_str(value)
    whole, _, fraction = exact.partition(".")
    if len(fraction) <= places:
        return exact
    return f"{whole}.{fraction[:places]}…"


def compact(value: Decimal, currency: str, *, sign: bool = False) -> str:
    """Compact, half up to 2 decimals: ``+¥1.52T`` (exact figures are in the details)."""
    symbol = SYMBOLS.get(currency, f"{currency} " if currency else "")
    prefix = "-" if value < 0 else ("+" if sign and value > 0 else "")
    size = abs(value)
    if size == 0:
        return f"{symbol}0"
    for scale, suffix in SCALES:
        if size >= scale:
            scaled = (size / scale).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            return f"{prefix}{symbol}{scaled}{suffix}"
    return f"{prefix}{symbol}{grouped(size)}"


def parse_unit(text: str) -> str:
    """``T``, ``B``, ``M``, ``k`` or ``1`` (also ``t``, ``b``, ``m``, ``K``); ValueError else."""
    for unit in UNITS:
        if text.strip().lower() == unit.lower():
            return unit
    raise ValueError(f"unknown unit {text!r}: use {', '.join(reversed(UNITS))}")


def scaled(value: Number, unit: str, places: int, *, sign: bool = False) -> str:
    """An amount in ``unit``, half up to ``places`` decimals, with thousands separators:
    ``scaled(11047700000000, "T", 4)`` → ``11.0477``."""
    exact = as_fraction(value)
    if exact is None:
        return str(value)
    rounded = round_half_up(exact / 10 ** UNITS[unit], places)
    text = format(rounded, f",.{places}f")
    return ("+" + text) if sign and rounded > 0 else text


def _places_needed(value: Fraction, cap: int) -> int:
    """The fewest decimals (at most ``cap``) that write ``value`` exactly."""
    for places in range(cap + 1):
        if (value * 10**places).denominator == 1:
            return places
    return cap


@dataclass(frozen=True)
class NumberFormat:
    """How one rendering writes numbers for people: amounts in ``unit`` (exact with
    thousands separators in unit ``1``; rounded half up to at most ``SCALED_PLACES`` decimals
    in a larger unit, the same number of decimals down a column), shares of GDP to ``places``
    decimals and percentage points to ``pp_places`` (default: ``places``)."""

    unit: str = "1"
    places: int = PLACES
    pp_places: int | None = None

    @property
    def scale(self) -> int:
        return UNITS[self.unit]

    def unit_label(self, currency: str | None) -> str:
        """What an amount column's header says: ``JPY``, ``JPY T``, ``T`` (no currency)."""
        parts = [currency or "", "" if self.unit == "1" else self.unit]
        return " ".join(p for p in parts if p)

    def amounts(self, values: Sequence[Number | None], *, sign: bool = False) -> list[str]:
        """A column of amounts in the unit, with one number of decimals for all (``""`` for a
        missing value, the text itself for one that is no number)."""
        exact = [as_fraction(v) for v in values]
        in_unit = [None if v is None else v / 10**self.scale for v in exact]
        if self.unit == "1":
            places = None
        else:
            places = max((_places_needed(v, SCALED_PLACES) for v in in_unit if v is not None),
                         default=0)  # fmt: skip
        out = []
        for raw, value, whole in zip(values, in_unit, exact, strict=True):
            if value is None or whole is None:
                out.append("" if raw is None else str(raw))
            elif places is None:
                out.append(grouped(value, sign=sign))
            else:
                out.append(scaled(whole, self.unit, places, sign=sign))
        return out

    def amount(self, value: Number | None, *, sign: bool = False) -> str:
        return self.amounts([value], sign=sign)[0]

    def percent(self, value: Number | None, *, sign: bool = False) -> str:
        """A share of GDP in percent, half up to ``places`` (``""`` without one)."""
        return self._ratio(value, self.places, sign)

    def pp(self, value: Number | None, *, sign: bool = True) -> str:
        """A change in percentage points, signed, half up to ``pp_places``."""
        places = self.places if self.pp_places is None else self.pp_places
        return self._ratio(value, places, sign)

    @staticmethod
    def _ratio(value: Number | None, places: int, sign: bool) -> str:
        exact = as_fraction(value)
        if exact is None:
            return "" if value is None else str(value)
        text = rounded_str(exact, places)
        return ("+" + text) if sign and exact > 0 and Decimal(text) != 0 else text


DEFAULT = NumberFormat()


def pp(value: Fraction | None, places: int = PLACES, *, sign: bool = True) -> str:
    """Percentage points (or percent), half up: ``+0.06``; ``n/a`` without a GDP."""
    if value is None:
        return "n/a"
    return NumberFormat(places=places).pp(value, sign=sign)


def places_of(text: str) -> int:
    """Decimals of a figure as printed: ``1.6`` → 1, ``11`` → 0."""
    exponent = Decimal(text).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
