"""Advice beyond memory, each entry from what a run measured and what CloudWatch and Lambda say of the function:
the architecture, the timeout and concurrency (provisioned, SnapStart, the warmer, reserved). Each entry says what to
set, why in words, and what it is worth a month, with the figures it rests on."""
