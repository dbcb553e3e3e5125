"""The library's own barrage: every bad input gets a `jaxfound.errors` exception naming it."""

from __future__ import annotations

import re

import pytest

from jaxfound import errors
from tests.reliability._cases import CASES


def test_the_barrage_has_at_least_150_distinct_cases():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be distinct"
    assert len(CASES) >= 150, len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_a_jaxfound_error_naming_the_argument(case):
    assert issubclass(case.exc, errors.JaxfoundError)
    with pytest.raises(errors.JaxfoundError) as info:
        case.call()
    assert isinstance(info.value, case.exc), (
        f"{case.id}: got {type(info.value).__name__}, expected {case.exc.__name__}: {info.value}"
    )
    assert re.search(case.names, str(info.value), re.S), (
        f"{case.id}: the message does not name {case.names!r}: {info.value}"
    )
