"""rsrepro's modules import each other without a circle, counting the imports inside functions too: a
circle that a function-level import hides still ties the modules into one, and breaks as soon as one of
those imports moves to the top of its module."""

from __future__ import annotations

import ast
from pathlib import Path

import rsrepro

PACKAGE = Path(rsrepro.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: str, package: str) -> set[str]:
    """Every dotted name an import statement of ``source`` brings in, wherever it stands (``from a import
    b``: ``a`` and ``a.b``, which is a module when ``b`` is one); ``package``: the one that relative
    imports start from."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the rsrepro modules it imports, with the packages on their way (importing ``a.b.c``
    runs ``a/__init__`` and ``a/b/__init__``) but not its own (they are set up before it)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for imported in imported_names(path.read_text(), package):
            parts = imported.split(".")
            for end in range(1, len(parts) + 1):
                target = ".".join(parts[:end])
                own_package = name.startswith(f"{target}.")
                if target in modules and target != name and not own_package:
                    targets.add(target)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_checks_see_a_circle_through_a_function_level_import() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    source = "import os\nfrom . import io\n\ndef f():\n    from ..papers import paper\n"
    assert imported_names(source, "rsrepro.reports") == {
        "os", "rsrepro.reports", "rsrepro.reports.io", "rsrepro.papers", "rsrepro.papers.paper"
    }  # fmt: skip


def test_no_module_of_rsrepro_imports_itself_through_others() -> None:
    graph = import_graph()
    assert graph.get("rsrepro.papers"), "the graph was not read"
    assert cycles(graph) == []
