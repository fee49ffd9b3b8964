"""Bronze ingestion: land the CSV files of the landing zone into path-based Delta tables,
exactly once, with lineage, rescue and quarantine (docs/ingestion.md)."""
