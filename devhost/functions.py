"""Reads the app's functions (`function_app.app.get_functions()`) as the Functions host indexes them."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent

# A route template parameter: {name}, {name?}, {name:constraint}, {*name}.
_PARAMETER = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]*)?(\??)\}")


@dataclass
class HttpRoute:
    name: str
    template: str
    methods: set[str] | None  # None: every method
    function: Callable[..., Any]
    request_param: str
    client_param: str | None
    pattern: re.Pattern = field(init=False)

    def __post_init__(self):
        self.pattern = _template_pattern(self.template)

    @property
    def specificity(self) -> tuple[int, int]:
        """Routes with more literal text win (`models/{id}:detect-last` before `models/{id}`)."""
        literal = _PARAMETER.sub("", self.template)
        return (len(literal), -self.template.count("{"))

    def match(self, method: str, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        if found is None or (self.methods is not None and method not in self.methods):
            return None
        return {key: unquote(value) for key, value in found.groupdict().items() if value is not None}


@dataclass
class BlobTrigger:
    name: str
    path: str  # "container/{name}"
    function: Callable[..., Any]
    blob_param: str
    client_param: str | None


@dataclass
class AppFunctions:
    routes: list[HttpRoute]
    orchestrators: dict[str, Callable[[str], str]]
    activities: dict[str, tuple[Callable[..., Any], str]]  # name -> (function, input parameter name)
    route_prefix: str
    blob_triggers: list[BlobTrigger] = field(default_factory=list)  # called by the inbox poller (devhost/inbox.py)

    def find_route(self, method: str, path: str) -> tuple[HttpRoute | None, dict[str, str], bool]:
        """(route, route params, path known) for a path below the route prefix."""
        path_known = False
        for route in self.routes:
            if route.pattern.fullmatch(path):
                path_known = True
                params = route.match(method, path)
                if params is not None:
                    return route, params, True
        return None, {}, path_known


def _template_pattern(template: str) -> re.Pattern:
    regex, position = "", 0
    for found in _PARAMETER.finditer(template):
        regex += re.escape(template[position:found.start()])
        catch_all, name, optional = found.group(1), found.group(2), found.group(3)
        regex += f"(?P<{name}>{'.+' if catch_all else '[^/]+'})" + ("?" if optional else "")
        position = found.end()
    regex += re.escape(template[position:])
    return re.compile(regex.strip("/"))


def route_prefix(host_json: Path = ROOT / "host.json") -> str:
    """`extensions.http.routePrefix` from host.json; the Functions default is `api`."""
    try:
        config = json.loads(host_json.read_text())
    except FileNotFoundError:
        return "api"
    return config.get("extensions", {}).get("http", {}).get("routePrefix", "api").strip("/")


def index_app(app: Any, prefix: str | None = None) -> AppFunctions:
    routes, orchestrators, activities, blob_triggers = [], {}, {}, []
    for function in app.get_functions():
        trigger = function.get_trigger()
        name = function.get_function_name()
        user_function = function.get_user_function()
        if trigger.type == "httpTrigger":
            client = next((b.name for b in function.get_bindings() if b.type == "durableClient"), None)
            methods = {str(getattr(m, "value", m)).upper() for m in trigger.methods} if trigger.methods else None
            routes.append(HttpRoute(name, (trigger.route or name).strip("/"), methods, user_function,
                                    trigger.name, client))
        elif trigger.type == "orchestrationTrigger":
            orchestrators[getattr(trigger, "orchestration", None) or name] = user_function
        elif trigger.type == "activityTrigger":
            activities[getattr(trigger, "activity", None) or name] = (user_function, trigger.name)
        elif trigger.type == "blobTrigger":
            client = next((b.name for b in function.get_bindings() if b.type == "durableClient"), None)
            blob_triggers.append(BlobTrigger(name, trigger.path, user_function, trigger.name, client))
    routes.sort(key=lambda route: route.specificity, reverse=True)
    return AppFunctions(routes, orchestrators, activities, route_prefix() if prefix is None else prefix,
                        blob_triggers)
