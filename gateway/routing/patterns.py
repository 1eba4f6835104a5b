"""``$regex`` patterns of conditional routing: compiled once, with bounded matching cost.

Python's ``re`` backtracks and has no timeout, and capping the input alone does
not bound the time: measured here on 4,096 characters, ``.*a.*b`` takes 20 s
and ``a*a*b`` 32 s, and ``(a+)+$`` is exponential on 23. A config comes from a
caller, so a pattern is refused at load time when its worst case is large:
nested or alternating repeats, back-references, or a product of repeat widths
above one unbounded quantifier. Pure: no IO.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

try:  # the parser ``re.compile`` itself uses; public as ``sre_parse`` before 3.11
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _parser  # type: ignore[no-redef,unused-ignore]

MAX_PATTERN_CHARS = 256
MAX_INPUT_CHARS = 4096  # only the first 4,096 characters of a value are searched
# One unbounded quantifier over the capped input (a few 10 ms), or several small ones.
MAX_WIDTH = MAX_INPUT_CHARS
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_BACKREFS = frozenset({"GROUPREF", "GROUPREF_EXISTS"})


class PatternError(ValueError):
    """A ``$regex`` that is not valid or too costly; the message never quotes it."""


def _subpatterns(value: Any) -> Iterator[Any]:
    if isinstance(value, _parser.SubPattern):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _subpatterns(item)


def _width(sub: Any, in_repeat: bool) -> int:
    """Worst-case backtracking factor: the product of the repeat widths in ``sub``."""
    width = 1
    for op, av in sub:
        name = str(op)
        if name in _BACKREFS:
            raise PatternError("may not use back-references")
        if name in _REPEATS and av[1] > 1:
            if in_repeat:
                raise PatternError("may not nest quantifiers")
            width *= min(av[1], MAX_INPUT_CHARS) * _width(av[2], True)
        elif name == "BRANCH":
            if in_repeat:
                raise PatternError("may not repeat an alternation")
            width *= sum(_width(alt, in_repeat) for alt in av[1])
        else:
            for child in _subpatterns(av):
                width *= _width(child, in_repeat)
    return width


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` or raise :class:`PatternError` saying why it is refused."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(f"must be at most {MAX_PATTERN_CHARS} characters")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise PatternError(f"is not a valid regular expression ({exc.msg})") from None
    if _width(_parser.parse(pattern), False) > MAX_WIDTH:
        raise PatternError(
            "is too costly to match: use at most one unbounded quantifier (*, +, {n,}) "
            "or bounded ones like {1,8}"
        )
    return compiled


def search(pattern: re.Pattern[str], value: Any) -> bool:
    """Strings only (no coercion); the cap bounds time once the pattern is vetted."""
    return isinstance(value, str) and pattern.search(value, 0, MAX_INPUT_CHARS) is not None
