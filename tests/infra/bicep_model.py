"""The Bicep templates under infra/, parsed with pycep-parser, and small helpers to read them.

pycep turns a template into JSON-like dicts: identifiers and string literals both come back as plain strings,
`a.b.c` as nested `property_accessor` operators, `if (...)` and `for` as wrappers around the resource body.
The helpers below unwrap those so that tests read like the templates.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Iterator

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = "main.bicep"

IDENTIFIER = re.compile(r"^[A-Za-z_]\w*(\.\w+)*$")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
INTERPOLATION = re.compile(r"\$\{([^}]*)\}")


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@functools.cache
def parse(relative_path: str) -> dict[str, Any]:
    """The parsed template at infra/<relative_path>."""
    return BicepParser().parse(file_path=INFRA / relative_path)


def dotted(expr: Any) -> str | None:
    """`a.b.c` for a property-access chain or a bare identifier; None for anything else."""
    if isinstance(expr, str):
        return expr
    if isinstance(expr, dict) and "operator" in expr and expr["operator"].get("type") == "property_accessor":
        operands = expr["operator"]["operands"]
        head, tail = dotted(operands["operand_1"]), dotted(operands["operand_2"])
        if head is not None and tail is not None:
            return f"{head}.{tail}"
    return None


def walk(node: Any) -> Iterator[Any]:
    """Every node of a parsed expression tree, depth first."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def references(node: Any) -> set[str]:
    """Every dotted reference inside an expression, including `${...}` inside interpolated strings.

    pycep does not tell identifiers from string literals, so a literal that looks like an identifier is included
    too: use it to check that a reference is there, not that nothing else is.
    """
    found: set[str] = set()
    for item in walk(node):
        name = dotted(item) if isinstance(item, dict) else None
        if name:
            found.add(name)
        if isinstance(item, str):
            if IDENTIFIER.match(item):
                found.add(item)
            found.update(part.strip() for part in INTERPOLATION.findall(item))
    return found


class Resource:
    """One `resource` (or `module`) declaration, with its `if` condition and `for` loop unwrapped."""

    def __init__(self, symbol: str, declaration: dict[str, Any]):
        self.symbol = symbol
        self.type = declaration.get("type")
        self.api_version = declaration.get("api_version")
        self.existing = declaration.get("existing", False)
        self.detail = declaration.get("detail", {})
        config = declaration["config"]
        self.loop = None
        self.condition = None
        if "loop_type" in config:
            self.loop = config["loop_type"]["detail"]
            self.condition = config.get("condition")
            config = config["config"]
        elif "condition" in config and "config" in config:
            self.condition = config["condition"]
            config = config["config"]
        self.body = config

    @property
    def properties(self) -> dict[str, Any]:
        return self.body.get("properties", {})

    def __repr__(self) -> str:
        return f"<{self.type} {self.symbol}>"


def resources(template: dict[str, Any], resource_type: str | None = None, *, existing: bool = False) -> list[Resource]:
    """The declared (not `existing`) resources of a template, optionally of one type."""
    found = [Resource(symbol, decl) for symbol, decl in template.get("resources", {}).items()]
    return [r for r in found if r.existing == existing and (resource_type is None or r.type == resource_type)]


def one(template: dict[str, Any], resource_type: str) -> Resource:
    matches = resources(template, resource_type)
    assert len(matches) == 1, f"expected one {resource_type}, found {matches}"
    return matches[0]


def modules(template: dict[str, Any]) -> dict[str, Resource]:
    return {symbol: Resource(symbol, decl) for symbol, decl in template.get("modules", {}).items()}


def module_path(module: Resource) -> str:
    """The module's file, relative to infra/ (main.bicep sits in infra/)."""
    return module.detail["path"]


def variable(template: dict[str, Any], name: str) -> Any:
    return template["variables"][name]["value"]


def value_of(template: dict[str, Any], expr: Any) -> Any:
    """An identifier naming a variable resolves to the variable's value; anything else is returned as is."""
    if isinstance(expr, str) and expr in template.get("variables", {}):
        return variable(template, expr)
    return expr


def decorators(declaration: dict[str, Any]) -> dict[str, Any]:
    """A parameter's decorators by type: {'secure': None, 'allowed': [...], 'description': '...'}."""
    return {d["type"]: d.get("argument") for d in declaration.get("decorators", [])}


def app_settings(site: Resource) -> dict[str, Any]:
    return {item["name"]: item["value"] for item in site.properties["siteConfig"]["appSettings"]}


def role_definition_guid(template: dict[str, Any], assignment: Resource) -> str:
    """The built-in role GUID of a role assignment written as subscriptionResourceId(..., <guid or variable>)."""
    function = assignment.properties["roleDefinitionId"]["function"]
    assert function["type"] == "subscription_resource_id", assignment
    params = function["parameters"]
    assert params["resource_type"] == "Microsoft.Authorization/roleDefinitions", assignment
    guid = value_of(template, params["resource_name_1"])
    assert isinstance(guid, str) and GUID.match(guid), f"{assignment}: role id {guid!r} is not a GUID"
    return guid
