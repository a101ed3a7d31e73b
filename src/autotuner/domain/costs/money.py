"""Dollar amounts as people read them."""

import math


def usd(amount: float) -> str:
    """Dollars with three significant digits for sub-cent amounts ($0.00000208), cents otherwise ($12.50)."""
    if amount == 0:
        return "$0"
    rounded = float(f"{amount:.3g}")  # first, so that 0.009999 is a cent and 9.996e-7 keeps three digits
    sign = "-" if rounded < 0 else ""
    if abs(rounded) >= 0.01:
        return f"{sign}${abs(amount):,.2f}"
    decimals = 2 - math.floor(math.log10(abs(rounded)))
    return f"{sign}${abs(rounded):.{decimals}f}"
