"""A run's own documents: the state each step passes on, the run record clean-up trusts, the names of what a run
creates."""
