"""What a learner's definition refers to, read from the notebook's cells with ``ast`` (never by running them).

Used by source questions such as "does not call ``jax.grad``": :func:`names_in` collects every name, attribute and
string constant in the top-level statements that bind a name, following the notebook's own top-level helpers it uses,
so ``g = jax.grad(...)`` in another cell, or ``getattr(jax, "grad")``, is seen. Dynamic lookups that no reading of
the source can follow (``eval``, ``exec``, ``getattr`` with a computed name, ...) show up as the names
:data:`DYNAMIC`, which source questions treat as not allowed.
"""

from __future__ import annotations

import ast

DYNAMIC = frozenset(
    ["eval", "exec", "compile", "getattr", "__import__", "import_module", "globals", "locals", "vars", "__dict__"]
)


def _parse(cell: str) -> ast.Module | None:
    lines = [line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def _bound(stmt: ast.stmt) -> set[str]:
    """Names a top-level statement binds."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.For, ast.With, ast.If, ast.Try, ast.While)):
        return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _refers_to(stmt: ast.stmt) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.update(node.name.split("."))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            found.add(node.value)
    return found


def names_in(cells: list[str], name: str) -> set[str] | None:
    """Names that the notebook's definitions of ``name`` (and the helpers they use) refer to; None if not defined."""
    statements = [stmt for cell in cells if (tree := _parse(cell)) is not None for stmt in tree.body]
    binders: dict[str, list[ast.stmt]] = {}
    for stmt in statements:
        for bound in _bound(stmt):
            binders.setdefault(bound, []).append(stmt)
    if name not in binders:
        return None
    found: set[str] = set()
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for stmt in binders.get(current, []):
            names = _refers_to(stmt)
            found |= names
            todo.extend(n for n in names if n in binders and not isinstance(stmt, (ast.Import, ast.ImportFrom)))
    return found
