"""Checks shared by each app's error-code test: codes are enum members, never bare strings.

``bare_codes`` reads an app's source (tests and migrations aside) for an error code written as a
string literal: ``code="…"`` given to an error class, ``default_code = "…"`` on one, or a caught
error's ``.code`` compared with a string. ``error_classes`` lists the ``ApplicationError``
subclasses an app defines, so a test can check each one's code is a member of the app's enum.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

from rangkul.core.errors import ApplicationError

ROOT = Path(__file__).resolve().parents[3]
ERROR_NAMES = {"exc", "error", "err", "outcome", "failure"}  # how services name a caught error
NOT_OURS = {"ValidationError"}  # Django's form errors carry form codes, not service error codes


def _sources(app: str) -> list[Path]:
    paths = [
        path
        for path in sorted((ROOT / "rangkul" / app).rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]
    if not paths:
        raise LookupError(f"no sources for the app {app!r}")
    return paths


def _is_text(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_is_text(item) for item in node.elts)
    return False


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def bare_codes(app: str) -> list[str]:
    """``path:line`` of every error code in ``rangkul/<app>`` written as a string instead of an enum member."""
    found = []
    for path in _sources(app):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            bare = False
            if isinstance(node, ast.Call) and _callee(node)[:1].isupper() and _callee(node) not in NOT_OURS:
                bare = any(kw.arg == "code" and _is_text(kw.value) for kw in node.keywords)
            elif isinstance(node, ast.Assign):
                names = [getattr(target, "id", "") for target in node.targets]
                bare = names == ["default_code"] and _is_text(node.value)
            elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute):
                left = node.left
                bare = (
                    left.attr == "code"
                    and isinstance(left.value, ast.Name)
                    and left.value.id in ERROR_NAMES
                    and any(_is_text(right) for right in node.comparators)
                )
            if bare:
                found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}")
    return found


def error_classes(app: str) -> list[type[ApplicationError]]:
    """The ``ApplicationError`` subclasses defined in ``rangkul.<app>`` that set their own code."""
    package = importlib.import_module(f"rangkul.{app}")
    for module in pkgutil.walk_packages(package.__path__, f"rangkul.{app}."):
        if ".tests" not in module.name and ".migrations" not in module.name:
            importlib.import_module(module.name)
    seen: list[type[ApplicationError]] = []
    pending: list[type[ApplicationError]] = [ApplicationError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith(f"rangkul.{app}.") and "default_code" in vars(sub):
                seen.append(sub)
    return seen
