"""Conditional routing: Portkey's query language over ``metadata.*`` and ``params.*``.

Semantics follow Portkey's ``conditionalRouter.ts`` (first matching condition's
``then``, else ``default``), with two fixes: every key of a query object is
ANDed (Portkey returns early on ``$or``/``$and``), and a bad query is refused
when the config is loaded instead of failing the request with a 500.
Comparing values of different types is False, never an exception.
Pure: no IO.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from ..errors import InvalidRequest
from .nodes import Strategy
from .patterns import PatternError, compile_pattern, search

ROOTS = ("metadata", "params")
ORDERING = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}
OPERATORS = frozenset({"$eq", "$ne", "$in", "$nin", "$regex", *ORDERING})
MAX_LIST = 64
_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_MISSING = object()


class QueryError(ValueError):
    """``where`` is the path inside the query, e.g. ``.$and[1].params.size.$in``."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


class NoMatchingTarget(InvalidRequest):
    """Portkey's RouterError, answered as the 400 its image handler meant to send."""

    code = "no_matching_target"
    attempts: tuple[Any, ...] = ()  # upstream attempts made before, for the request log


class Named(Protocol):
    @property
    def name(self) -> str | None: ...


T = TypeVar("T", bound=Named)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _operand(op: str, value: Any, where: str) -> Any:
    if op == "$regex":
        if not isinstance(value, str):
            raise QueryError(where, "'$regex' must be a string")
        try:
            return compile_pattern(value)
        except PatternError as exc:
            raise QueryError(where, f"'$regex' {exc}") from None
    if op in ("$in", "$nin"):
        if not isinstance(value, list) or len(value) > MAX_LIST or not all(map(_is_scalar, value)):
            raise QueryError(where, f"'{op}' must be a list of at most {MAX_LIST} plain values")
        return tuple(value)
    if op in ORDERING and not _is_number(value):
        raise QueryError(where, f"'{op}' must compare with a number")
    if not _is_scalar(value):
        raise QueryError(where, f"'{op}' must compare with a plain value")
    return value


def _field(key: str, value: Any, where: str) -> Any:
    root, _, rest = key.partition(".")
    if root not in ROOTS or not rest or "" in rest.split("."):
        raise QueryError(where, "a query key must be 'metadata.<key>' or 'params.<key>'")
    if _is_scalar(value):
        return value  # a bare value means $eq
    if not isinstance(value, Mapping) or not value:
        raise QueryError(where, "must be a plain value or an object of operators")
    unknown = next((op for op in value if op not in OPERATORS), None)
    if unknown is not None:
        raise QueryError(f"{where}.{unknown}", f"unknown operator '{unknown[:32]}'")
    return {op: _operand(op, item, f"{where}.{op}") for op, item in value.items()}


def compile_query(query: Any, where: str = "") -> dict[str, Any]:
    """Check ``query`` and precompile its patterns; raise :class:`QueryError`."""
    if not isinstance(query, Mapping):
        raise QueryError(where, "a query must be an object")
    compiled: dict[str, Any] = {}
    for key, value in query.items():
        path = f"{where}.{key}"
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
                raise QueryError(path, f"'{key}' must be a list of 1 to {MAX_LIST} queries")
            compiled[key] = tuple(compile_query(sub, f"{path}[{i}]") for i, sub in enumerate(value))
        elif key.startswith("$"):
            raise QueryError(path, f"unknown operator '{key[:32]}'")
        else:
            compiled[key] = _field(key, value, path)
    return compiled


def _lookup(context: Mapping[str, Any], key: str) -> Any:
    value: Any = context
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected  # JS: true !== 1
    return actual is not _MISSING and actual == expected


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value  # an int stays an int: float() overflows on huge ones
    # Metadata values are strings; Portkey compares them with parseFloat.
    if isinstance(value, str) and len(value) <= 64 and _NUMERIC.fullmatch(value.strip()):
        return float(value)
    return None


def _ordered(compare: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def check(actual: Any, expected: Any) -> bool:
        left, right = _number(actual), _number(expected)
        return left is not None and right is not None and compare(left, right)

    return check


def _regex(actual: Any, pattern: Any) -> bool:
    if not isinstance(pattern, re.Pattern):  # a query that did not go through compile_query
        try:
            pattern = compile_pattern(pattern) if isinstance(pattern, str) else None
        except PatternError:
            pattern = None
    return pattern is not None and search(pattern, actual)


_CHECKS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": _equal,
    "$ne": lambda actual, expected: not _equal(actual, expected),
    "$in": lambda actual, options: any(_equal(actual, item) for item in options),
    "$nin": lambda actual, options: not any(_equal(actual, item) for item in options),
    "$regex": _regex,
    **{op: _ordered(compare) for op, compare in ORDERING.items()},
}


def _matches(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, Mapping):
        return _equal(actual, expected)
    return all(op in _CHECKS and _CHECKS[op](actual, arg) for op, arg in expected.items())


def evaluate(query: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """Whether ``context`` (``{"metadata": {...}, "params": {...}}``) satisfies ``query``."""
    for key, expected in query.items():
        if key == "$and":
            ok = all(evaluate(sub, context) for sub in expected)
        elif key == "$or":
            ok = any(evaluate(sub, context) for sub in expected)
        else:
            ok = _matches(_lookup(context, key), expected)
        if not ok:
            return False
    return True


def _named(targets: Sequence[T], name: str, where: str) -> T:
    for target in targets:
        if target.name == name:
            return target
    raise NoMatchingTarget(f"No target named '{name[:64]}' at '{where}'.", param=where)


def choose(
    strategy: Strategy, targets: Sequence[T], context: Mapping[str, Any], where: str = "config"
) -> T:
    """The child a conditional strategy routes to, or :class:`NoMatchingTarget`."""
    for condition in strategy.conditions:
        if evaluate(condition.query, context):
            return _named(targets, condition.then, where)
    if strategy.default is not None:
        return _named(targets, strategy.default, where)
    raise NoMatchingTarget(
        f"No condition matched at '{where}' and it has no 'default' target.", param=where
    )
