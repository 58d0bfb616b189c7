"""What a benchmark's ``main`` does around its own figures: parse, log quietly, print progress
lines on stderr (unless ``--quiet``), print the result as JSON or as a table."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from oms.logging import configure_logging


def run_bench(
    args: argparse.Namespace,
    bench: Callable[[argparse.Namespace], dict[str, Any]],
    table: Callable[[dict[str, Any]], str],
) -> int:
    """Run ``bench`` with ``args.progress`` set; ``args`` needs ``quiet`` and ``json``."""
    configure_logging("WARNING", json=False)
    started = time.perf_counter()

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr)

    args.progress = progress
    result = bench(args)
    print(json.dumps(result) if args.json else table(result))
    return 0
