"""Child processes of the benchmarks (the API, the workers): stopped the same way."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen[str] | subprocess.Popen[bytes], timeout_s: float) -> None:
    """Ask the process to end (SIGTERM), and kill it if it has not within ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
