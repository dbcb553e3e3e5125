"""Parse the ``RESULT key=value ...`` line that ends the output of examples and benchmarks."""

from __future__ import annotations


def parse_result(out: str) -> dict[str, float | str]:
    """The key/value pairs of the last line of ``out``, which must start with ``RESULT ``.

    Values that parse as numbers come back as floats, others as strings.
    """
    lines = out.rstrip("\n").splitlines()
    assert lines, "no output"
    last = lines[-1]
    assert last.startswith("RESULT "), f"the output does not end with a RESULT line: {last!r}"
    assert sum(line.startswith("RESULT ") for line in lines) == 1, "more than one RESULT line"
    res: dict[str, float | str] = {}
    for item in last.split()[1:]:
        key, sep, value = item.partition("=")
        assert sep and key and value, f"malformed RESULT item {item!r}"
        assert key not in res, f"duplicate RESULT key {key!r}"
        try:
            res[key] = float(value)
        except ValueError:
            res[key] = value
    return res
