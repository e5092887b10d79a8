"""Numbers as a reader of the page's language writes them, on the server (Babel).

A German reader takes ``1,798`` for 1.8: every number the workshop writes goes through here.
Babel's CLDR data is used, not the ``locale`` module (these machines have no ``de_DE``
locale). The browser formats the plots' axes and hovers itself with the same symbols
(:mod:`.plotlocale`).
"""

from __future__ import annotations

import math

from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

LOCALES = {"en": "en", "de": "de_DE"}
"""The CLDR locale of each language of the page."""


def symbols(lang: str) -> tuple[str, str]:
    """The decimal and the grouping symbol of ``lang``, e.g. ``(",", ".")`` in German."""
    loc = LOCALES[lang]
    return get_decimal_symbol(loc), get_group_symbol(loc)


def digits(ref: float) -> int:
    """Decimals for three significant digits of ``ref`` (none from 100, at most 6)."""
    ref = abs(ref)
    if ref >= 100 or ref == 0 or not math.isfinite(ref):
        return 0
    return min(6, max(0, 2 - math.floor(math.log10(ref))))


def number(x: float, lang: str, places: int = 0, sign: bool = False, group: bool = True) -> str:
    """``x`` with ``places`` decimals in ``lang`` (``sign``: a ``+`` before positive numbers;
    ``group``: thousands separators)."""
    pattern = ("#,##0" if group else "0") + ("." + "0" * places if places else "")
    text = format_decimal(x, format=pattern, locale=LOCALES[lang])
    return "+" + text if sign and not text.startswith("-") and x > 0 else text


def short(x: float, lang: str) -> str:
    """``x`` to three significant digits without trailing zeros (as ``%.3g``): ``3.33``,
    ``20``."""
    text = f"{x:.3g}"
    if "e" in text:
        return number(x, lang)
    return number(x, lang, len(text.partition(".")[2]))


def fmt(x: float, lang: str, sign: bool = False, scale: float | None = None,
        missing: str = "n/a") -> str:
    """A number for a table: thousands separators from 100, else three significant digits (of
    ``scale`` if given, so that numbers shown together share their decimals); ``missing``
    where undefined. The same rule as :func:`urbsim.analysis.summary.fmt`, in ``lang``."""
    if not math.isfinite(x):
        return missing
    ref = abs(x) if scale is None else abs(scale)
    if ref == 0:
        return "0"
    return number(x, lang, digits(ref), sign)


def interval(diff: float, low: float, high: float, lang: str, bounds: bool = True,
             missing: str = "n/a") -> str:
    """A difference with its interval, on one scale: ``-1.47 [-1.58, -1.37]``, in German
    ``-1,47 [-1,58; -1,37]`` (the comma is the decimal mark there)."""
    if not math.isfinite(diff):
        return missing
    scale = max(abs(low), abs(high), abs(diff)) if bounds else abs(diff)
    text = fmt(diff, lang, sign=True, scale=scale)
    if not bounds or not (math.isfinite(low) and math.isfinite(high)):
        return text
    sep = "; " if symbols(lang)[0] == "," else ", "
    return f"{text} [{fmt(low, lang, scale=scale)}{sep}{fmt(high, lang, scale=scale)}]"


def percent(share: float, lang: str) -> str:
    """The size of a share (-0.031) as a rounded percentage for plain words: ``3 %``,
    ``0.4 %`` (German ``0,4 %``)."""
    p = abs(share) * 100
    places = 0 if p >= 0.95 else (1 if p >= 0.095 else 2)
    return f"{number(p, lang, places)}\u00a0%"
