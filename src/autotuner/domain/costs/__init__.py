"""What things cost: Lambda's price model by region and architecture, a tuning run's own cost, dollars as people read
them."""
