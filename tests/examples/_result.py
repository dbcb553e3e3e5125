"""Reading an example's machine-readable last line, ``RESULT key=value ...``."""

from __future__ import annotations


def parse_result(out: str) -> dict[str, float]:
    """The last line of ``out``, which must be ``RESULT key=value ...``, as floats by key."""
    last = out.strip().splitlines()[-1]
    assert last.startswith("RESULT "), f"the output does not end with a RESULT line: {last!r}"
    return {k: float(v) for k, v in (kv.split("=", 1) for kv in last.split()[1:])}
