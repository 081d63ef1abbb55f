"""The tools agents may use: an allow-list of names, each a plain Python function.

A graph names its agents' tools (``agents[i].tools``); a name that is not here is
refused when the graph is created (HTTP 422 naming ``agents.<i>.tools``). The
crewai runner wraps each function with the crewai module's ``tools.tool``
decorator, which reads the function's name, docstring and annotated parameters
(so this module must keep real annotations, not ``from __future__ import
annotations`` strings). The functions are offline and side-effect free: a worker
makes no outbound calls on a tool's behalf.

Add a tool: write a function with a docstring and typed parameters returning
``str``, and list it in :data:`TOOLS`.
"""

import ast
import operator
from collections.abc import Callable
from typing import Any


def word_count(text: str) -> str:
    """Count the words in a text. Input: the text. Output: the number of words."""
    return str(len(text.split()))


_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _evaluate(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("exponent too large")
        return _OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.operand))
    raise ValueError(f"not arithmetic: {ast.dump(node)[:80]}")


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as 6 * 7 or (2 + 3) / 4. Output: the value."""
    return str(_evaluate(ast.parse(expression, mode="eval")))


TOOLS: dict[str, Callable[..., str]] = {
    "calculator": calculator,
    "word_count": word_count,
}
"""Tool name (as graphs write it) -> the function the agent calls."""


def unknown_tools(names: list[str]) -> list[str]:
    return [name for name in names if name not in TOOLS]
