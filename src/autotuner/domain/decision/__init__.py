"""Choosing a size from what was measured: strategies, constraints, the cost/latency frontier, which sizes the data
tells apart, and the intervals stated for a choice."""
