"""The code a workflow job runs, read from rsrepro's import graph, and a fingerprint of its behaviour.

A job's code is everything within ``rsrepro`` that its command can execute: the handler function of its
``rsrepro`` sub-command, the module-level code and helpers of that handler's module, and the import
closure of the modules these import (lazy imports inside functions included, since they run too), with
the ``__init__`` of every package on the way. Modules are read with :mod:`ast`, never imported, so
reading the graph is fast and has no side effects.

The fingerprint hashes normalised syntax trees: comments, docstrings and formatting do not change it;
any change of behaviour does. The rules put it into their shell command (see
:func:`rsrepro.workflow.tracked`), so Snakemake's code trigger reruns exactly the jobs whose code
changed, and ``snakemake --list-changes code`` names them.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

PACKAGE = "rsrepro"
PACKAGE_ROOT = Path(__file__).resolve().parent
# Code that decides how a job starts or resumes, never what it computes: this module (it hashes code for
# a checkpoint's fingerprint) and the fork server (a command's results are the same with it or without).
NOT_JOB_CODE = frozenset({Path(__file__).resolve(), PACKAGE_ROOT / "forkserver.py"})


@cache
def module_file(module: str) -> Path | None:
    """The source file of an ``rsrepro`` module or package (None for anything else)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_ROOT.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path) -> str:
    relative = path.resolve().relative_to(PACKAGE_ROOT.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


@cache
def _tree(path: Path) -> ast.Module:
    """The module's syntax tree without docstrings (which hold no imports and no behaviour)."""
    return _strip_docstrings(ast.parse(path.read_text(), filename=str(path)))


def imported_modules(nodes: Iterable[ast.AST], importer: str, is_package: bool) -> set[str]:
    """The ``rsrepro`` modules imported anywhere in ``nodes`` (``from x import y`` counts ``x.y`` when
    that is a module, else ``x``). ``importer`` resolves relative imports."""
    package = importer if is_package else importer.rpartition(".")[0]
    found: set[str] = set()
    for node in (n for root in nodes for n in ast.walk(root)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if module_file(name) is not None}


@cache
def _module_imports(module: str, path: Path) -> frozenset[str]:
    """What one module imports (the graph's edges: each module is read once per process)."""
    return frozenset(imported_modules([_tree(path)], module, path.name == "__init__.py"))


def with_parent_packages(module: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: importing a module runs its packages' ``__init__``."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def import_closure(modules: Iterable[str]) -> list[Path]:
    """Source files of ``modules`` and of every ``rsrepro`` module they import, transitively."""
    seen: set[str] = set()
    todo = [name for module in modules for name in with_parent_packages(module)]
    while todo:
        module = todo.pop()
        path = module_file(module)
        if module in seen or path is None:
            continue
        seen.add(module)
        todo += [name for edge in _module_imports(module, path) for name in with_parent_packages(edge)]
    return sorted(path for path in map(module_file, seen) if path is not None)


def function_nodes(path: Path, function: str) -> list[ast.AST]:
    """The parts of a module that calling ``function`` runs: its module-level statements (imports,
    constants) other than definitions, the function, and the module's functions and classes it refers
    to by name, transitively."""
    tree = _tree(path)
    definitions = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    if function not in definitions:
        raise LookupError(f"{path}: no function {function!r}")
    wanted, todo = set(), [function]
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        todo += [
            node.id
            for node in ast.walk(definitions[name])
            if isinstance(node, ast.Name) and node.id in definitions
        ]
    module_level = [node for node in tree.body if node not in definitions.values()]
    return module_level + [definitions[name] for name in sorted(wanted)]


def _strip_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return tree


def normalised(nodes: Iterable[ast.AST]) -> str:
    """The syntax of ``nodes`` (of :func:`_tree`, so without docstrings) without positions, comments or
    formatting."""
    return "\n".join(ast.dump(node, annotate_fields=False) for node in nodes)


@cache
def _file_digest(path: Path) -> str:
    return hashlib.sha256(normalised([_tree(path)]).encode()).hexdigest()


def fingerprint(parts: dict[str, str]) -> str:
    """A short hash of named normalised-source digests (order-independent)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def code_parts(entry: tuple[Path, str] | None = None, modules: Iterable[str] = ()) -> dict[str, str]:
    """Relative file name -> digest of what a job runs: the handler function ``entry`` (its file and
    function name; only the parts of that file it runs count) and the import closure of it and of
    ``modules``."""
    roots = set(modules)
    parts: dict[str, str] = {}
    if entry is not None:
        path, function = entry
        nodes = function_nodes(path, function)
        name = module_name(path)
        roots |= set(with_parent_packages(name)[:-1])
        roots |= imported_modules(nodes, name, path.name == "__init__.py")
        parts[f"{_relative(path)}:{function}"] = hashlib.sha256(normalised(nodes).encode()).hexdigest()
    for path in import_closure(roots):
        if path not in NOT_JOB_CODE and (entry is None or path != entry[0]):
            parts[_relative(path)] = _file_digest(path)
    return parts


def _relative(path: Path) -> str:
    return path.resolve().relative_to(PACKAGE_ROOT.parent).as_posix()


def notebook_modules(notebook: Path) -> set[str]:
    """The ``rsrepro`` modules a notebook's code cells import (IPython magics and shell lines skipped)."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    lines = [line for s in sources for line in s.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return imported_modules([ast.parse("\n".join(lines))], "__notebook__", False)


def handler_entry(handler: Callable[..., object]) -> tuple[Path, str]:
    """A command handler function as (source file, function name)."""
    path = module_file(handler.__module__)
    if path is None:
        raise LookupError(f"{handler!r} is not a function of an rsrepro module")
    return path, handler.__name__
