"""The code a workflow job runs, read from rsrepro's syntax trees, and a fingerprint of what it computes.

A job's code is what its command can execute within ``rsrepro``, at the level of top-level definitions:
starting from the handler of its ``rsrepro`` sub-command, every function, class (as a whole) and
module-level constant that it refers to by name, in its own module or through an import in another
(``from rsrepro.io import write_json``, ``paths.RESULTS``, an import inside a function), transitively;
and, for every module that gets imported on the way (with its packages), the statements it runs on import
other than definitions. A reference that cannot be followed by name (a module used as a value,
``import_module``, ``globals()``, a star import, a decorator that may register its function) takes the
whole module instead, so nothing the job may run is left out. Modules are read with :mod:`ast`, never
imported. Assumed, as Python code here is written: class bodies, default values and module-level
assignments compute values without side effects elsewhere.

Each part (``rsrepro/io.py:write_json``; a module's import-time statements as ``rsrepro/io.py``) is
hashed from its normalised syntax tree: comments, docstrings, formatting and the text of messages
(exception and assertion messages, logging, ``print`` and ``warnings`` calls, progress descriptions,
argparse help) leave it as it is; the expressions a message shows still count. The third-party names a
part uses (``import numpy as np``) count with it. The rules put the fingerprint of a job's parts into
their shell command (:func:`rsrepro.workflow.tracked`), so Snakemake's code trigger reruns exactly the
jobs whose code changed, and ``rsrepro code-changes`` names the parts that did.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGE = "rsrepro"
PACKAGE_ROOT = Path(__file__).resolve().parent
BODY = ""  # the part name of a module's import-time statements
# How a job starts and resumes, never what it computes: the CLI's parsing and dispatch (a job's code
# starts at its handler; parsing is argparse's, the rule's command states the arguments) and this module
# (the trainers hash code with it for a checkpoint's fingerprint, which decides resuming only).
NOT_JOB_CODE = frozenset({(f"{PACKAGE}.cli", "main"), (__name__, None)})
# Decorators that only wrap their function: any other may register it somewhere, so it runs on import.
PURE_DECORATORS = frozenset(
    {"dataclass", "cache", "lru_cache", "no_grad", "inference_mode", "contextmanager", "wraps"}
    | {"staticmethod", "classmethod", "property", "abstractmethod", "overload", "total_ordering"}
)
MESSAGE_CALLS = frozenset(  # calls whose string arguments are text for a person
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print", "exit"}
    | {"set_description", "set_description_str", "set_postfix_str"}  # tqdm
)
ARGPARSE_CALLS = frozenset(
    {"ArgumentParser", "add_argument", "add_parser", "add_subparsers", "add_argument_group"}
)
ARGPARSE_TEXT = frozenset({"help", "description", "epilog", "metavar", "title", "usage"})
PROGRESS_TEXT = frozenset({"desc"})  # tqdm's description, under any call that passes it on


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


def with_parent_packages(module: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: importing a module runs its packages' ``__init__``."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


# What an imported name is bound to: ("module", name), ("symbol", module, name) within rsrepro, or
# ("external", how) for anything else (the import's own text).
Target = tuple[str, ...]


@dataclass
class Module:
    """One module's top level: what it defines, what its imports bind and load, what it runs on import."""

    name: str
    definitions: dict[str, list[ast.stmt]] = field(default_factory=dict)
    bindings: dict[str, list[Target]] = field(default_factory=dict)
    loads: set[str] = field(default_factory=set)  # rsrepro modules its top-level imports import
    body: list[ast.stmt] = field(default_factory=list)
    star: list[str] = field(default_factory=list)  # modules of ``from x import *``
    parts: dict[str, tuple[str | None, References]] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, name: str, tree: ast.Module, is_package: bool) -> Module:
        module = cls(name)
        for stmt in tree.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                module.bind(stmt, is_package)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                module.definitions.setdefault(stmt.name, []).append(stmt)
                if not all(_callee(d) in PURE_DECORATORS for d in stmt.decorator_list):
                    module.body.append(stmt)
            elif _assigned_names(stmt):
                for target in _assigned_names(stmt):
                    module.definitions.setdefault(target, []).append(stmt)
            elif not (_is_main_guard(stmt) or isinstance(stmt, ast.Pass)):
                module.body.append(stmt)
                for node in ast.walk(stmt):  # `if TYPE_CHECKING:` / `try:` imports
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        module.bind(node, is_package)
        return module

    def part(self, name: str) -> tuple[str | None, References]:
        """The digest of a definition (or of BODY; None when the module runs nothing on import) and what
        it refers to."""
        if name not in self.parts:
            nodes = self.body if name == BODY else self.definitions[name]
            found = references(nodes, self) if nodes else References()
            text = normalised(nodes) + "\n" + "\n".join(sorted(found.external))
            self.parts[name] = (hashlib.sha256(text.encode()).hexdigest() if nodes else None), found
        return self.parts[name]

    def bind(self, node: ast.Import | ast.ImportFrom, is_package: bool) -> None:
        bound, loads, star = import_bindings(node, self.name, is_package)
        for name, target in bound:
            self.bindings.setdefault(name, []).append(target)
        self.loads |= loads
        self.star += star


def import_bindings(
    node: ast.Import | ast.ImportFrom, importer: str, is_package: bool
) -> tuple[list[tuple[str, Target]], set[str], list[str]]:
    """What one import statement binds (local name -> target), the rsrepro modules it imports, and the
    modules it star-imports. ``importer`` resolves relative imports."""
    bound: list[tuple[str, Target]] = []
    loads: set[str] = set()
    star: list[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if module_file(alias.name) is None:
                bound.append((alias.asname or alias.name.split(".")[0], ("external", ast.dump(alias))))
                continue
            loads.update(with_parent_packages(alias.name))
            local = alias.asname or alias.name.split(".")[0]
            bound.append((local, ("module", alias.name if alias.asname else local)))
        return bound, loads, star
    base = node.module or ""
    if node.level:
        package = importer if is_package else importer.rpartition(".")[0]
        anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        base = f"{anchor}.{base}" if base else anchor
    if module_file(base) is None:
        for alias in node.names:
            bound.append((alias.asname or alias.name, ("external", f"{base}:{ast.dump(alias)}")))
        return bound, loads, star
    loads.update(with_parent_packages(base))
    for alias in node.names:
        if alias.name == "*":
            star.append(base)
        elif module_file(f"{base}.{alias.name}") is not None:
            loads.add(f"{base}.{alias.name}")
            bound.append((alias.asname or alias.name, ("module", f"{base}.{alias.name}")))
        else:
            bound.append((alias.asname or alias.name, ("symbol", base, alias.name)))
    return bound, loads, star


def _callee(node: ast.expr) -> str:
    """The last name of what a call or a decorator calls: ``a.b.c(...)`` -> "c"."""
    node = node.func if isinstance(node, ast.Call) else node
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _assigned_names(stmt: ast.stmt) -> list[str]:
    """The names a plain top-level assignment (``X = ...``, ``A, B = ...``, ``X: T = ...``) defines."""
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
        return [stmt.target.id]
    if not isinstance(stmt, ast.Assign):
        return []
    names = []
    for target in stmt.targets:
        elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        if not all(isinstance(e, ast.Name) for e in elements):
            return []  # an attribute or item assignment: a side effect, run on import
        names += [e.id for e in elements]
    return names


def _is_main_guard(stmt: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` runs when the file is a script, never on import."""
    test = getattr(stmt, "test", None)
    return (
        isinstance(stmt, ast.If)
        and isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
    )


@cache
def read_module(module: str) -> Module | None:
    path = module_file(module)
    if path is None:
        return None
    return _read(module, path.read_text(), path.name == "__init__.py")


@cache
def _read(module: str, source: str, is_package: bool) -> Module:
    """Kept by source text: a process that reads the graph again (a test editing code) parses only what
    changed."""
    return Module.read(module, syntax_tree(source), is_package)


def syntax_tree(source: str) -> ast.Module:
    """A module's syntax tree without docstrings and without the text of messages (in one pass)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.body and _is_text_constant(getattr(node.body[0], "value", None)):
                node.body = node.body[1:] or [ast.Pass()]  # the docstring
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            _blank_message_call(node.exc)
        elif isinstance(node, ast.Assert) and node.msg is not None:
            node.msg = _message(_shown(node.msg))
        elif isinstance(node, ast.Call):
            name = _callee(node)
            if name in MESSAGE_CALLS and not _prints_to_a_file(node):
                _blank_message_call(node)
            for keyword in node.keywords:
                if keyword.arg in PROGRESS_TEXT or (name in ARGPARSE_CALLS and keyword.arg in ARGPARSE_TEXT):
                    keyword.value = _message(_shown(keyword.value))
    return tree


def _is_text_constant(node: object) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _prints_to_a_file(call: ast.Call) -> bool:
    """``print(..., file=handle)`` writes an output, unless ``handle`` is ``sys.stdout``/``sys.stderr``."""
    for keyword in call.keywords:
        if keyword.arg == "file":
            value = keyword.value
            return not (isinstance(value, ast.Attribute) and value.attr in ("stdout", "stderr"))
    return False


def _blank_message_call(call: ast.Call) -> None:
    """A message call's positional arguments as the values they show; its text keywords (``sep``) blank."""
    call.args = [_message([value for arg in call.args for value in _shown(arg)])]
    for keyword in call.keywords:
        if _is_text(keyword.value):
            keyword.value = _message(_shown(keyword.value))


def _message(values: list[ast.expr]) -> ast.expr:
    """A message reduced to the values it shows (the same however its text is spelt and put together)."""
    return ast.JoinedStr([ast.FormattedValue(value, -1, None) for value in values])


def _is_text(node: ast.expr) -> bool:
    if _is_text_constant(node) or isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _is_text(node.left)
    return _formats_text(node)


def _formats_text(node: ast.expr) -> bool:
    """``"...".format(...)`` or ``", ".join(...)``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
        and _is_text(node.func.value)
    )


def _shown(node: ast.expr) -> list[ast.expr]:
    """The values a piece of message text shows, in order, without the text: an f-string's formatted
    values, both sides of ``+``, the operands of ``%``, the arguments of ``.format``/``.join``."""
    if _is_text_constant(node):
        return []
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and _is_text(node):
        operands = (
            node.right.elts
            if isinstance(node.op, ast.Mod) and isinstance(node.right, ast.Tuple)
            else [node.right]
        )
        return _shown(node.left) + [v for operand in operands for v in _shown(operand)]
    if _formats_text(node):
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        return _shown(node.func.value) + node.args + [keyword.value for keyword in node.keywords]
    return [node]


def normalised(nodes: Iterable[ast.AST]) -> str:
    """The syntax of ``nodes`` (of :func:`syntax_tree`: no docstrings, no message text) without positions,
    comments or formatting."""
    return "\n".join(ast.dump(node, annotate_fields=False) for node in nodes)


# What code refers to, followed by :func:`code_parts`: ("part", module, name) a definition (or BODY);
# ("load", module) importing a module; ("whole", module) all of it; ("symbol", module, name, *attributes)
# a name read from a module, not yet resolved; ("all",) every module of the package.
Item = tuple[str, ...]


@dataclass
class References:
    items: set[Item] = field(default_factory=set)
    external: set[str] = field(default_factory=set)  # the third-party imports the code uses


def references(nodes: list[ast.stmt], module: Module) -> References:
    """What ``nodes`` (statements of ``module``) refer to within rsrepro, and the third-party imports
    they use. Imports within the nodes (inside a function) bind names for all of them."""
    found = References()
    names, imports, calls = _scan(nodes)
    local: dict[str, list[Target]] = {}
    for node in imports:
        bound, loads, star = import_bindings(node, module.name, _is_package(module.name))
        for name, target in bound:
            local.setdefault(name, []).append(target)
        found.items |= {("load", m) for m in loads} | {("whole", m) for m in star}
    for name, attributes in names:
        targets = local.get(name, []) + module.bindings.get(name, [])
        if name in module.definitions:
            found.items.add(("part", module.name, name))
        elif not targets and module.star:
            found.items |= {("whole", m) for m in module.star}
        for target in targets:
            _resolve(target, attributes, found)
    for call in calls:
        _dynamic_access(call, module, found)
    return found


def _is_package(module: str) -> bool:
    path = module_file(module)
    return path is not None and path.name == "__init__.py"


def _scan(
    nodes: list[ast.stmt],
) -> tuple[list[tuple[str, list[str]]], list[ast.Import | ast.ImportFrom], list[ast.Call]]:
    """In one pass: every name the nodes read, with the attributes read from it (``paths.RESULTS`` ->
    ("paths", ["RESULTS"]); ``a.b(c).d`` -> ("a", ["b"])), their import statements and their calls."""
    names: list[tuple[str, list[str]]] = []
    imports: list[ast.Import | ast.ImportFrom] = []
    calls: list[ast.Call] = []

    def visit(node: ast.AST) -> None:
        attributes: list[str] = []
        while isinstance(node, ast.Attribute):
            attributes.insert(0, node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            names.append((node.id, attributes))
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(node)
        elif isinstance(node, ast.Call):
            calls.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for node in nodes:
        visit(node)
    return names, imports, calls


def _resolve(target: Target, attributes: list[str], found: References) -> None:
    if target[0] == "external":
        found.external.add(target[1])
    elif target[0] == "symbol":
        found.items.add(("symbol", target[1], target[2], *attributes))
    elif attributes:
        found.items.add(("symbol", target[1], *attributes))
    else:  # a module used as a value: anything in it may run
        found.items.add(("whole", target[1]))


def _dynamic_access(call: ast.Call, module: Module, found: References) -> None:
    """``globals()``/``vars()`` read the module by name; ``import_module`` imports what it computes."""
    name = _callee(call)
    if name in ("globals", "vars") and not call.args:
        found.items.add(("whole", module.name))
    elif name in ("import_module", "__import__"):
        argument = call.args[0] if call.args else None
        constant = argument.value if isinstance(argument, ast.Constant) else None
        if isinstance(constant, str) and module_file(constant) is not None:
            found.items.add(("whole", constant))
        elif not isinstance(constant, str) or constant.split(".")[0] == PACKAGE:
            found.items.add(("all",))


def _resolve_symbol(module: str, names: tuple[str, ...]) -> list[Item]:
    """``module.names[0]`` (then its attributes ``names[1:]``) as the items it stands for."""
    name, rest = names[0], names[1:]
    read = read_module(module)
    if read is None:
        return []
    if name in read.definitions:
        return [("part", module, name)]
    if name in read.bindings:  # imported into the module (a package re-exporting its submodule's name)
        found = References()
        for target in read.bindings[name]:
            _resolve(target, list(rest), found)
        return [("load", module), *found.items]
    submodule = f"{module}.{name}"
    if module_file(submodule) is not None:
        return [("load", submodule), ("symbol", submodule, *rest) if rest else ("whole", submodule)]
    return [("whole", module)]  # defined where names cannot be followed: a statement, a star import


def _excluded(module: str, name: str | None) -> bool:
    return (module, None) in NOT_JOB_CODE or (module, name) in NOT_JOB_CODE


def _closure(items: Iterable[Item]) -> dict[str, str]:
    """Part key -> digest of every part that ``items`` reach."""
    parts: dict[str, str] = {}
    seen: set[Item] = set()
    todo = list(items)
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        kind, module = item[0], item[1] if len(item) > 1 else ""
        if kind == "all":
            todo += [("whole", module_name(path)) for path in sorted(PACKAGE_ROOT.rglob("*.py"))]
        elif kind == "symbol":
            todo += _resolve_symbol(module, item[2:])
        elif _excluded(module, item[2] if kind == "part" else None) or read_module(module) is None:
            continue
        elif kind == "whole":
            todo += [("load", module)] + [("part", module, n) for n in read_module(module).definitions]
        elif kind == "load":
            todo += [("load", m) for m in with_parent_packages(module)[:-1]]
            todo += [("load", m) for m in read_module(module).loads] + [("part", module, BODY)]
        else:
            digest, refs = read_module(module).part(item[2])
            if digest is not None:
                parts[part_key(module, item[2])] = digest
            todo += [("load", module), *refs.items]
    return parts


def part_key(module: str, name: str) -> str:
    """``rsrepro/io.py:write_json``; a module's import-time statements: ``rsrepro/io.py``."""
    path = module_file(module)
    assert path is not None
    relative = path.relative_to(PACKAGE_ROOT.parent).as_posix()
    return f"{relative}:{name}" if name else relative


def code_parts(roots: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Part key -> digest of what running ``roots`` may execute: each a (module, function or class) or
    (module, None) for all of a module."""
    return _closure(("part", m, n) if n is not None else ("whole", m) for m, n in roots)


def notebook_parts(notebook: Path) -> dict[str, str]:
    """The parts of rsrepro a notebook's code cells use (IPython magics and shell lines skipped)."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    lines = [line for s in sources for line in s.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    return _closure(references(tree.body, Module.read("__notebook__", tree, False)).items)


def fingerprint(parts: dict[str, str]) -> str:
    """A short hash of named normalised-source digests (order-independent)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def handler_entry(handler: Callable[..., object]) -> tuple[str, str]:
    """A command handler function as (module, function name)."""
    if module_file(handler.__module__) is None:
        raise LookupError(f"{handler!r} is not a function of an rsrepro module")
    return handler.__module__, handler.__name__
