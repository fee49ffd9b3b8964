"""Bronze: land CSV files from the landing zone into path-based Delta tables, exactly once."""
