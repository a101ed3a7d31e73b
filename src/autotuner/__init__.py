"""Lambda Autotuner: keeps AWS Lambda functions at their cheapest good memory configuration.

Layout:
- ``domain``   pure logic (parsing, pricing, statistics, selection, planning, contracts); no AWS, no I/O.
- ``adapters`` every boto3 call, behind small classes the handlers use.
- ``handlers`` thin Lambda entry points: parse the event, call the domain through adapters, return a dump.
- ``cli``      the ``autotuner`` command.
"""
