"""Thin Lambda entry points: parse the event into a model, run the workflow step with adapters, dump the result."""
