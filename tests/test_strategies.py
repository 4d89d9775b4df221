"""``cronsec.strategies``: what it draws is valid (or invalid) as promised, and the knobs work."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronsec import CronError, CronExpr
from cronsec.strategies import expressions, invalid_expressions


@settings(max_examples=200)
@given(expressions(fields=(5, 6, 7), day_items=True, whitespace=True))
def test_every_expression_constructs(text):
    CronExpr(text)


@settings(max_examples=100)
@given(
    st.sampled_from([True, False, None]).flatmap(
        lambda sparse: expressions(sparse=sparse, years=True, day_items=True)
    )
)
def test_every_density_constructs(text):
    CronExpr(text)


@settings(max_examples=200)
@given(invalid_expressions())
def test_every_invalid_expression_raises_cron_error(text):
    with pytest.raises(CronError):
        CronExpr(text)


@settings(max_examples=100)
@given(invalid_expressions(day_items=False, years=False, never_firing=False))
def test_narrow_invalid_expressions_raise_too(text):
    assert not re.search(r"[#?]", text)
    with pytest.raises(CronError):
        CronExpr(text)


@settings(max_examples=100)
@given(expressions(fields=(5,), macros=False, names=False))
def test_five_fields_numbers_only(text):
    assert len(text.split(" ")) == 5
    assert re.fullmatch(r"[0-9*/,\- ]+", text)


@settings(max_examples=100)
@given(expressions(fields=(6,), macros=False))
def test_six_fields_without_day_items(text):
    assert len(text.split(" ")) == 6
    assert not re.search(r"[?#]|\bL|\d[LW]\b", text.upper())


@settings(max_examples=100)
@given(expressions(fields=(6,), years=True, macros=False))
def test_years_add_a_seventh_field(text):
    assert len(text.split(" ")) in (6, 7)


def test_years_are_drawn():
    seen = set()

    @settings(max_examples=50)
    @given(expressions(fields=(7,), macros=False))
    def collect(text):
        seen.add(len(text.split(" ")))

    collect()
    assert seen == {7}


@settings(max_examples=100)
@given(expressions(macros=False, names=False, wrap=False))
def test_no_wrapping_ranges(text):
    for a, b in re.findall(r"(\d+)-(\d+)", text):
        assert int(a) <= int(b)


def test_macros_appear_and_can_be_left_out():
    found = []

    @settings(max_examples=200)
    @given(expressions())
    def collect(text):
        found.append(text)

    collect()
    assert any(t.startswith("@") for t in found)


@settings(max_examples=100)
@given(expressions(macros=False))
def test_no_macros(text):
    assert "@" not in text


@settings(max_examples=100)
@given(expressions(sparse=True, macros=False))
def test_sparse_fields_have_no_stars_in_the_time(text):
    fields = text.split(" ")
    time = fields[:2] if len(fields) == 5 else fields[:3]
    assert all("*" not in field for field in time)


@pytest.mark.parametrize("fields", [(), (4,), (5, 8)])
def test_bad_field_counts_are_refused(fields):
    with pytest.raises(ValueError, match="fields must be"):
        expressions(fields=fields)


def test_import_without_hypothesis_says_what_to_install():
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n    import cronsec.strategies\n"
        "except ImportError as err:\n    print(err)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'cronsec[hypothesis]'" in done.stdout
