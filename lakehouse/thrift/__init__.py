"""Long-running Spark processes of the lakehouse: the Spark Thrift Server and a local standalone
cluster (master + one worker), started from the pyspark wheel with the project's settings.

Modules:

- ``process``: launching detached JVMs, pid/state files, liveness, stopping a process group,
  ports, log tails. Nothing here imports Spark or PyHive.
- ``server``: ``lakehouse thrift start|stop|status`` (HiveThriftServer2 via spark-submit).
- ``probe``: a real HiveServer2 connection (PyHive) to tell that the server accepts clients.
- ``auth``: the password mode (a HiveServer2 CUSTOM provider compiled once into the jar cache).
- ``cluster``: ``lakehouse cluster start|stop|status`` (standalone Master and Worker).
"""

from __future__ import annotations
