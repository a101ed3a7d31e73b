"""Dollar amounts as people read them."""

import math


def usd(amount: float) -> str:
    """Dollars with three significant digits for sub-cent amounts ($0.00000208), cents otherwise ($12.50)."""
    if amount == 0:
        return "$0"
    if abs(amount) >= 0.01:
        return f"${amount:,.2f}"
    decimals = 2 - math.floor(math.log10(abs(amount)))
    return f"${amount:.{decimals}f}"
