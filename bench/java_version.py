"""The Java that Spark starts (``$JAVA_HOME/bin/java``, else ``java`` on PATH), for the
machine line of benchmark results."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path


def java_version() -> str:
    """``17``, ``25``…: the feature version of the Java Spark would start, or ``unknown``."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java:
        return "unknown"
    output = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)', output)
    return match.group(1) if match else "unknown"
