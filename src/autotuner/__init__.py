"""Lambda Autotuner: keeps AWS Lambda functions at their cheapest good memory configuration.

This package is what deploys to Lambda (template.yaml's CodeUri is src/). Layout:
- ``domain``   pure logic (parsing, pricing, statistics, selection, planning, contracts, the run record); no AWS.
- ``workflow`` one module per step of the state machines, written against ``workflow.ports``.
- ``adapters`` every boto3 call, behind the ports.
- ``handlers`` thin Lambda entry points: parse the event, run the step with adapters, return a dump.
- ``reports``  tables, charts and the HTML report of what a run measured (Notify sends its text summary).
- ``warmup``   the decorator users put on their own handlers to answer warm-up pings (standard library only).

Beside it, in tools/ and never deployed:
- ``autotuner_cli``   the ``autotuner`` command.
- ``autotuner_local`` the local emulator: template.yaml deployed into moto, handlers run in-process with their roles.
"""
