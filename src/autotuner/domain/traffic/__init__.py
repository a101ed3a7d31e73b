"""Tuning on production traffic: the baseline production's own calls give, candidate versions that take a share of
an alias's traffic one at a time, each compared with the current version over the same moments, and the search,
the guard and the decision over them. Nothing here invokes the function: every figure is read from its logs."""
