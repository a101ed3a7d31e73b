"""The one place that creates Powertools' Logger, Tracer and Metrics (configured by environment, see Globals)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
