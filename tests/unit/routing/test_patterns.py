"""$regex vetting: patterns whose worst case is large are refused at load time."""

from __future__ import annotations

import re

import pytest

from gateway.routing.patterns import MAX_INPUT_CHARS, PatternError, compile_pattern, search


@pytest.mark.parametrize(
    "pattern",
    [
        "^dall-e-[23]$",
        "^gpt-image-.*$",
        "(?i)dall-e-3|gpt-image",
        "(a|b)*c",  # one-character alternatives are a character class
        r"\d{1,4}x\d{1,4}",
        "[a-z]{1,64}x[a-z]{1,64}y",
        "(?=a*)b",
        "(?>a+)b",
        "photo(graph)?",
        "x" * 256,
    ],
)
def test_cheap_patterns_compile(pattern):
    assert compile_pattern(pattern) == re.compile(pattern)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("x" * 257, "must be at most 256 characters"),
        ("[", "is not a valid regular expression (unterminated character set)"),
        ("(?P<a>x", "is not a valid regular expression (missing ), unterminated subpattern)"),
        ("(a+)+$", "may not nest quantifiers"),
        ("(x{1,3}){1,3}", "may not nest quantifiers"),
        ("(ab|cd)+", "may not repeat an alternation"),
        ("(a|ab)*c", "may not repeat an alternation"),
        (r"(a)\1", "may not use back-references"),
        (r"(?P<x>a)(?P=x)", "may not use back-references"),
        (".*a.*b", "is too costly to match"),
        ("a*a*b", "is too costly to match"),
        (r"^\d+x\d+$", "is too costly to match"),
        ("x.*|y.*", "is too costly to match"),
        ("a{0,200}a{0,200}b", "is too costly to match"),
    ],
)
def test_costly_or_invalid_patterns_are_refused(pattern, message):
    with pytest.raises(PatternError) as info:
        compile_pattern(pattern)
    assert str(info.value).startswith(message)


def test_search_reads_strings_only_up_to_the_cap():
    pattern = compile_pattern("end$")
    assert search(pattern, "the end") is True
    assert search(pattern, "x" * (MAX_INPUT_CHARS - 3) + "end") is True
    assert search(pattern, "x" * MAX_INPUT_CHARS + "end") is False
    assert search(pattern, 5) is False
    assert search(pattern, None) is False
    assert search(pattern, ["the end"]) is False
