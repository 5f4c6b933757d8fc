"""params.yaml validation: one clear message naming the key, the value and what is allowed.

Values are shown cut to :data:`SHOWN_CHARS` characters. YAML aliases can make a few hundred bytes expand
into hundreds of millions of values (an anchor bomb), which jsonschema would spell out in full while it
validates; a config that expands beyond :data:`MAX_VALUES` values stops first, naming the key.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from rsrepro.data.own import dataset_layout, own_problems
from rsrepro.data.sources.catalog import DATASETS
from rsrepro.errors import RsreproError
from rsrepro.papers import PAPERS

MAX_VALUES = 100_000  # params.yaml and the paper preset hold a few thousand
SHOWN_CHARS = 120


class ParamsError(RsreproError):
    """params.yaml (or a config overlay) does not match the schema."""


def _shown(value: Any) -> str:
    """``repr(value)``, cut to a readable length without building the whole text first."""
    short = reprlib.Repr()  # keyword arguments only from Python 3.12
    short.maxlevel, short.maxstring, short.maxother = 3, 60, 60
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 6
    text = short.repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def load_schema(path: str | Path) -> dict[str, Any]:
    """params.yaml's schema: the shared sections in ``path`` with a ``data.<name>`` section per registry
    dataset, and each registered paper's section from ``<paper>.schema.yaml`` beside it, with its
    variants' enum from the paper's ``VARIANTS``. Which datasets a paper takes is checked after the
    schema (:func:`_check_cross_references`): a dataset may be declared in params.yaml itself."""
    path = Path(path)
    schema = yaml.safe_load(path.read_text())
    data = schema["properties"]["data"]["properties"]
    data |= {name: {"$ref": "#/$defs/real_dataset"} for name in DATASETS}
    for name, paper in PAPERS.items():
        section = yaml.safe_load((path.parent / f"{name}.schema.yaml").read_text())
        schema["$defs"] |= section.pop("$defs", {}) | {f"{name}_variant": {"enum": list(paper.VARIANTS)}}
        schema["properties"][name] = section
        schema["required"].append(name)
    return schema


def _key_path(path: Any) -> str:
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "(top level)"


def _explain(error: jsonschema.ValidationError) -> str:
    where = _key_path(error.absolute_path)
    schema = error.schema
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        return f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; allowed keys: {', '.join(allowed)}"
    if error.validator == "enum" and "propertyNames" in error.schema_path:
        allowed = ", ".join(map(repr, schema["enum"]))
        return f"{where}: key {_shown(error.instance)} is not allowed; allowed keys: {allowed}"
    if error.validator == "enum":
        allowed = ", ".join(map(repr, schema["enum"]))
        return f"{where} = {_shown(error.instance)} is not allowed; allowed values: {allowed}"
    if error.validator == "pattern" and "description" in schema:
        return f"{where} = {_shown(error.instance)} is not allowed; expected {schema['description']}"
    if error.validator == "type":
        return f"{where} = {_shown(error.instance)} has the wrong type; expected {schema['type']}"
    if error.validator == "required":
        return f"{where}: {error.message}"
    return f"{where} = {_shown(error.instance)}: {_cut(error.message)}"


def _cut(text: str) -> str:
    return text if len(text) <= 2 * SHOWN_CHARS else text[: 2 * SHOWN_CHARS - 3] + "..."


def _expanding_key(config: dict[str, Any]) -> tuple[str, int] | None:
    """The key whose value expands beyond :data:`MAX_VALUES` values (aliases counted each time they are
    used) and that value count, or None; a value that contains itself counts as endless."""
    sizes: dict[int, float] = {}

    def size(node: Any) -> float:
        if not isinstance(node, dict | list):
            return 1
        if id(node) not in sizes:
            sizes[id(node)] = float("inf")  # while inside: a value that contains itself never ends
            children = node.values() if isinstance(node, dict) else node
            sizes[id(node)] = 1 + sum(size(child) for child in children)
        return sizes[id(node)]

    if size(config) <= MAX_VALUES:
        return None
    path: list[Any] = []
    node: Any = config
    while isinstance(node, dict):  # down to the key whose value is the large one
        key = max(node, key=lambda k: size(node[k]))
        if size(node[key]) <= MAX_VALUES:
            break
        path.append(key)
        node = node[key]
    return _key_path(path), size(node)


def validate_params(config: dict[str, Any], schema: dict[str, Any], source: str = "params.yaml") -> None:
    """Raise :class:`ParamsError` with one readable line per problem (most specific first)."""
    expanding = _expanding_key(config)
    if expanding is not None:
        where, count = expanding
        raise ParamsError(
            f"{source} is invalid:\n  - {where} expands to {count:,.0f} values (YAML anchors and aliases "
            f"nested in each other?); params hold at most {MAX_VALUES:,}. Write the value out plainly."
        )
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(e.absolute_path), e.validator))
    if errors:
        lines = "\n".join(f"  - {_explain(e)}" for e in errors)
        raise ParamsError(
            f"{source} is invalid:\n{lines}\nFix these entries (see the comments in params.yaml)."
        )
    _check_cross_references(config, source)


def _check_cross_references(config: dict[str, Any], source: str) -> None:
    """Rules a schema cannot express: each paper's own (its ``params_problems``), every dataset a paper
    uses is configured, and every GPU of a DDP run gets a share of the global batch."""
    problems = [problem for targets in PAPERS.values() for problem in targets.params_problems(config)]
    problems += own_problems(config)
    for paper, targets in PAPERS.items():
        for name in config[paper]["datasets"]:
            layout = dataset_layout(config, name)
            if layout is not None and layout not in targets.LAYOUTS:
                fits = ", ".join(layout for layout in targets.LAYOUTS if layout != "synthetic")
                problems.append(
                    f"{paper}.datasets lists {name!r}, a {layout} dataset; {targets.TITLE} reads {fits} "
                    f"datasets: remove it from {paper}.datasets"
                )
            elif name not in config["data"]:
                fix = (
                    f"add data.{name}: {{image_size: ...}} (a registry dataset, fetched from its sources)"
                    if name in DATASETS
                    else f"add a data.{name} section (your own dataset: layout, path and image_size)"
                )
                problems.append(
                    f"{paper}.datasets lists {name!r} but data.{name} is not configured; {fix}; see "
                    "docs/real-data.md"
                )

    for paper, targets in PAPERS.items():
        batch_key, batch = targets.global_batch(config)
        gpus = config[paper]["train"]["gpus"]
        if gpus > batch:
            problems.append(
                f"{paper}.train.gpus = {gpus} exceeds the global batch of {batch} ({batch_key}), which the "
                f"GPUs share; lower {paper}.train.gpus to at most {batch} or raise {batch_key}"
            )
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ParamsError(f"{source} is invalid:\n{lines}")
