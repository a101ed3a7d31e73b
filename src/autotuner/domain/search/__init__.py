"""Which sizes to measure, and how often: a sweep's batches and tasks, the adaptive search, and the cost curve
it fits."""
