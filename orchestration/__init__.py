"""Scheduling the lakehouse with Apache Airflow 3 (the optional `orchestration` extra).

``dags/`` is the DAG folder to point Airflow at; ``landing_trigger`` starts a run when files
land; ``lakehouse_task`` runs one `lakehouse` command as a task. docs/operations.md,
"Scheduling", says how to run it and when to pick it over cron or the watch mode.
"""
