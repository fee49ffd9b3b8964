"""``python -m generator``: the `generate` command on its own (no Spark imports)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lakehouse.commands import generate as command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator")
    command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["generate", *(sys.argv[1:] if argv is None else argv)])
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
