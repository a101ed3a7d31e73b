"""The adaptive-search benchmark: ``python -m bench`` compares the reference tool, an exhaustive sweep and the
adaptive planner on every emulated workload, against the cost model's ground truth."""
