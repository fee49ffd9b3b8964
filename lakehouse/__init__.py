"""The lakehouse application: the `lakehouse` command line, the run pipeline and its summary,
the dbt runner, Thrift server and cluster operations, and their base: settings (the only reader
of the environment) and the Spark session factory. Bronze ingestion (`ingestion`) and the
sample-data generator (`generator`) sit between the two and use only the base."""
