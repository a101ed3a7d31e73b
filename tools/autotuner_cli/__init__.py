"""The `autotuner` command: the local demo, and tuning runs against an account from the terminal."""
