"""Segment rules: one SQL boolean expression over the documented feature columns.

A rule is parsed with sqlglot (DuckDB dialect) and every node of its syntax tree is checked
against an allow-list: feature columns, literals, boolean and comparison operators,
arithmetic, ``IS [NOT] NULL``, ``IN (literals)``, ``BETWEEN`` and a few pure functions. Anything
else (subqueries, other tables, other functions, several statements) is refused with an error
naming the segment and the offending token. The SQL that runs is regenerated from the checked
tree, never the rule text itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from warehouse.features.columns import FEATURES, RULE_COLUMNS

MAX_RULE_LENGTH: Final = 2000

_BOOLEAN_COLUMNS: Final = frozenset(f.name for f in FEATURES if f.rule and f.type == "BOOLEAN")
_PREDICATES: Final = (
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Boolean,
)
_ALLOWED: Final[tuple[type[exp.Expression], ...]] = (
    *_PREDICATES,
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.Paren,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Neg,
    exp.Coalesce,
    exp.Greatest,
    exp.Least,
    exp.Abs,
)
_ALLOWED_FUNCTIONS: Final = ("coalesce", "greatest", "least", "abs")


class SegmentRuleError(ValueError):
    """A segment rule is not a valid, allowed boolean expression over feature columns."""


def validate_rule(segment: str, rule: str) -> exp.Expr:
    """Check ``rule`` and return its syntax tree.

    Args:
        segment: The segment's name, for error messages.
        rule: The rule text from the segments YAML.

    Returns:
        The parsed, checked expression (generate SQL from it with ``.sql(dialect="duckdb")``).

    Raises:
        SegmentRuleError: naming the segment, the offending token and what is allowed.
    """
    where = f"segment {segment!r}"
    if not isinstance(rule, str) or not rule.strip():
        raise SegmentRuleError(f"{where}: the rule is empty; write a boolean SQL expression")
    if len(rule) > MAX_RULE_LENGTH:
        raise SegmentRuleError(f"{where}: the rule is longer than {MAX_RULE_LENGTH} characters")
    try:
        parsed = [e for e in sqlglot.parse(rule, dialect="duckdb") if e is not None]
    except (ParseError, TokenError) as exc:
        raise SegmentRuleError(f"{where}: the rule is not valid SQL ({_first_line(exc)})") from None
    if len(parsed) != 1:
        raise SegmentRuleError(
            f"{where}: the rule holds {len(parsed)} statements (';'); write one expression"
        )
    (tree,) = parsed
    for node in tree.walk():
        _check_node(where, node)
    if not _is_boolean(tree):
        raise SegmentRuleError(
            f"{where}: the rule is not a true/false condition (it is {_token(tree)!r}); "
            "compare it, e.g. 'ed_visits_12m >= 4'"
        )
    return tree


def rule_sql(segment: str, rule: str) -> str:
    """The canonical DuckDB SQL of a checked rule."""
    return validate_rule(segment, rule).sql(dialect="duckdb")


def rule_columns(tree: exp.Expr) -> list[str]:
    """The feature columns a checked rule uses, sorted."""
    return sorted({c.name for c in tree.find_all(exp.Column)})


def _check_node(where: str, node: exp.Expr) -> None:
    if node.comments:
        raise SegmentRuleError(f"{where}: comments ('--', '/* */') are not allowed in a rule")
    if isinstance(node, exp.Column):
        if node.table or node.args.get("db") or node.args.get("catalog"):
            raise SegmentRuleError(
                f"{where}: column {node.sql()!r} names a table; use the bare feature column"
            )
        if node.name not in RULE_COLUMNS:
            raise SegmentRuleError(
                f"{where}: {node.name!r} is not a documented feature column; allowed: "
                f"{_listing(RULE_COLUMNS)}"
            )
        return
    if isinstance(node, exp.Star):
        raise SegmentRuleError(f"{where}: '*' is not allowed; name feature columns")
    if isinstance(node, exp.Query | exp.Subquery | exp.Table | exp.From):
        raise SegmentRuleError(
            f"{where}: subqueries and tables are not allowed (found {_token(node)!r})"
        )
    if isinstance(node, exp.Func) and not isinstance(node, _ALLOWED):
        raise SegmentRuleError(
            f"{where}: function {_function_name(node)!r} is not allowed; allowed functions: "
            f"{', '.join(_ALLOWED_FUNCTIONS)}"
        )
    if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
        raise SegmentRuleError(f"{where}: IN takes a list of literals, not a subquery")
    if isinstance(node, exp.Literal) and node.is_string and len(node.this) > 64:
        raise SegmentRuleError(f"{where}: a string literal is longer than 64 characters")
    if not isinstance(node, _ALLOWED):
        raise SegmentRuleError(
            f"{where}: {_token(node)!r} ({type(node).__name__}) is not allowed in a rule; use "
            "feature columns, literals, AND/OR/NOT, comparisons, + - * /, IS NULL, IN, BETWEEN"
        )


def _is_boolean(tree: exp.Expr) -> bool:
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, _PREDICATES):
        return True
    return isinstance(tree, exp.Column) and tree.name in _BOOLEAN_COLUMNS


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name)
    return node.sql(dialect="duckdb").split("(", 1)[0].lower()


def _token(node: exp.Expr) -> str:
    text = node.sql(dialect="duckdb")
    return text if len(text) <= 60 else text[:57] + "..."


def _listing(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
