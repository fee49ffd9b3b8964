"""The benchmarks' memory probe counts a process tree's memory once per address space."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench"

# A process holding 300 MiB that forks a copy of itself (same program, no exec) and then
# starts `sleep` (another program): the copy's resident set repeats the parent's pages.
PARENT = textwrap.dedent(
    """
    import os, subprocess, sys, time
    block = bytearray(300 * 2**20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
    subprocess.Popen(["sleep", "60"])
    print("ready", flush=True)
    time.sleep(60)
    """
)


def load_memory_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_memory", BENCH / "memory.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_forked_copy_of_a_process_is_not_counted_twice() -> None:
    memory = load_memory_module()
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 10
        while len(memory._children(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        children = memory._children(parent.pid)
        assert len(children) == 2, children
        # The forked copy alone reports the parent's 300 MiB as its own.
        assert max(memory._rss_kib(child) for child in children) > 250 * 1024
        total_mib = memory.tree_rss_kib(parent.pid) / 1024
        assert 300 <= total_mib < 450, total_mib
    finally:
        for child in memory._children(parent.pid):
            os.kill(child, 9)
        parent.kill()
        parent.wait()


def test_a_process_that_has_ended_counts_nothing() -> None:
    # The probe samples while children come and go. This checks the end state only (a child
    # vanishing in the middle of the walk is a race no test here can time).
    memory = load_memory_module()
    ended = subprocess.Popen(["true"])
    ended.wait()
    assert memory._children(ended.pid) == []
    assert memory.tree_rss_kib(ended.pid) == 0
