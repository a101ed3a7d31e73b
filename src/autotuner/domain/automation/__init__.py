"""What runs without a person: alarm events and what they mean for a re-tune, canary rules, warming, and the savings
ledger."""
