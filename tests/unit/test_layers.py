"""Import direction (STYLE.md 3.3, 3.6): pure layers never import Flask, requests or
sqlite3, and inside the package every module imports only the layers below its own.

api -> pipeline -> routing, providers, outbound, cache, credentials -> store -> base.
The tables below say it module by module; a violation names the importing module, the
imported one and the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "gateway"

# --- The layers of the package -------------------------------------------------------
# A module's area is its sub-package (gateway/store/usage.py -> "store") or, for a module
# directly in gateway/, its own name (gateway/pipeline.py -> "pipeline"), unless BASE or
# AREA_OF says otherwise. Imports count wherever they are: module level, in a function,
# or under ``if TYPE_CHECKING`` (a type is a dependency too).

# Leaf modules directly in gateway/: each imports the standard library, third parties and
# other base modules only, so every layer may use them.
BASE = frozenset(
    {
        "admission",
        "cost",
        "errors",
        "headers",
        "image_formats",
        "limits",
        "models",
        "money",
        "os_threads",
        "redact",
        "settings",
        "settings_values",
        "strict_json",
        "value_rules",
    }
)
AREA_OF = {
    "gateway": "app",  # create_app: the one wiring point
    "gateway.__main__": "app",
    "gateway.gunicorn_worker": "app",  # deployment glue; the app does not import it
    "gateway.error_handlers": "api",  # Flask's errors as our JSON body
    "gateway.config_source": "schemas",  # headers and config -> the routing plan
}
_BELOW_PIPELINE = {"base", "store", "routing", "providers", "schemas", "uploads"}
_BELOW_PIPELINE |= {"credentials", "outbound", "cache"}
# The areas each area may import, besides its own. ``cli`` and ``api`` are imported by
# ``app`` alone; ``observability`` by api, pipeline, app and cli alone.
MAY_IMPORT: dict[str, frozenset[str]] = {
    name: frozenset(areas)
    for name, areas in {
        "base": {"base"},
        "store": {"base"},  # the only code that knows SQL or Redis
        "routing": {"base"},  # pure
        "providers": {"base"},  # pure; see test_provider_folders_import_base_and_helpers
        "schemas": {"base", "routing"},  # marshmallow: bodies, headers, configs
        "uploads": {"base"},  # multipart bodies
        "credentials": {"base", "store", "providers", "schemas"},
        "outbound": {"base", "store", "providers", "routing", "schemas"},
        "cache": {"base", "store", "providers", "routing", "outbound"},
        "request_log": {"base", "store"},
        "observability": {"base", "store", "providers"},
        "pipeline": _BELOW_PIPELINE | {"observability"},
        "api": _BELOW_PIPELINE | {"pipeline", "observability", "request_log"},
        "cli": {"base", "store", "credentials", "observability"},
        "app": _BELOW_PIPELINE | {"pipeline", "observability", "request_log", "api", "cli"},
    }.items()
}
# Provider packages that speak another provider's API reuse its transforms.
SPEAKS = {
    "azure_openai": {"openai"},
    "azure_ai": {"azure_openai", "openai"},
    "deepbricks": {"openai"},
}
# Imports the rules above refuse, allowed one by one: (importing module, imported
# module, why). Each must still be needed (test_every_exception_is_still_needed).
EXCEPTIONS = {
    ("gateway.store.key_store", "gateway.credentials.crypto"): (
        "DatabaseKeyStore encrypts a virtual key's secret as it writes the row"
    ),
    ("gateway.store.secrets", "gateway.credentials.crypto"): (
        "the shared secrets are Fernet tokens under the master key"
    ),
    ("gateway.store.secrets", "gateway.credentials.keyfile"): (
        "the pepper and cache key files of the embedded default"
    ),
    ("gateway.cli", "gateway"): "check_settings: the settings check that needs the registry",
    ("gateway.cli.cache", "gateway.cache"): "gateway cache list/clear: the cache's CacheStore",
}
# Modules that must not name a provider: they read what they need from the registry.
NO_PROVIDER_NAMES = ("credentials", "outbound/signing.py", "outbound/preflight.py")
IO_LIBS = {"flask", "werkzeug", "requests", "urllib3", "sqlite3", "click", "socket"}
PURE = {
    "providers": IO_LIBS,
    "routing": IO_LIBS,
    "schemas": IO_LIBS - {"werkzeug"},
    "settings.py": IO_LIBS | {"gateway"},
    "settings_values.py": IO_LIBS | {"gateway"},
    "money.py": IO_LIBS | {"gateway"},
    "errors.py": IO_LIBS,
    "models.py": IO_LIBS,
    "strict_json.py": IO_LIBS,
    "cache/keys.py": IO_LIBS,
    "pipeline.py": {"flask", "werkzeug", "sqlite3", "click"},
}


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("area", sorted(PURE))
def test_pure_areas_do_not_import_io_libraries(area):
    root = PACKAGE / area
    files = [root] if root.suffix == ".py" else sorted(root.rglob("*.py"))
    for path in files:
        assert not imports(path) & PURE[area], path


def test_no_module_is_too_long():
    for path in PACKAGE.rglob("*.py"):
        assert path.read_text().count("\n") <= 400, path


def relative_imports(path: Path) -> set[str]:
    """``from .x import y`` -> x; ``from . import x`` -> x (one level, as in settings.py)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            names |= {node.module} if node.module else {a.name for a in node.names}
    return names


@pytest.mark.parametrize(
    ("module", "allowed"),
    [("settings.py", {"money", "settings_values"}), ("settings_values.py", {"money"})],
)
def test_settings_imports_nothing_of_the_package_but_its_parsers_and_money(module, allowed):
    """gunicorn.conf.py imports settings in the master, before any app exists."""
    assert relative_imports(PACKAGE / module) <= allowed


def test_only_the_store_imports_database_drivers():
    """STYLE.md 3.6: store/ is the only code that knows SQL or Redis."""
    for path in PACKAGE.rglob("*.py"):
        if PACKAGE / "store" not in path.parents:
            assert not imports(path) & {"sqlite3", "psycopg", "redis"}, path


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


def package_imports(path: Path) -> set[str]:
    """The ``gateway`` modules ``path`` imports (type-only and lazy ones too), as dotted
    names with relative imports resolved; ``from . import x`` counts as ``<package>.x``."""
    name = module_name(path)
    package = (name if path.name == "__init__.py" else name.rpartition(".")[0]).split(".")
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(package[: len(package) - node.level + 1])
            if node.module:
                names.add(f"{base}.{node.module}")
            else:
                names |= {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return {n for n in names if n == "gateway" or n.startswith("gateway.")}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def importers(prefix: str) -> set[str]:
    """The modules outside ``prefix`` that import something inside it."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        if not within(name, prefix) and any(within(n, prefix) for n in package_imports(path)):
            found.add(name)
    return found


def test_observability_is_imported_by_the_app_factory_api_pipeline_and_cli_only():
    """STYLE.md 3.6 (the CLI for logging setup)."""
    for name in importers("gateway.observability"):
        assert name in {"gateway", "gateway.pipeline"} or name.startswith(
            ("gateway.api.", "gateway.cli")
        ), name


def test_nothing_imports_api_or_cli_but_the_app_factory_and_main():
    assert importers("gateway.api") <= {"gateway"}
    assert importers("gateway.cli") <= {"gateway.__main__"}


def test_observability_imports_go_one_way():
    """metrics -> instruments -> samples, metrics_files; no module imports one that imports it."""
    paths = sorted((PACKAGE / "observability").glob("*.py"))
    graph = {module_name(p): package_imports(p) for p in paths}
    for name, deps in graph.items():
        for dep in deps & graph.keys():
            assert name not in graph[dep], (name, dep)


# --- Import direction inside the package ----------------------------------------------


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(path: Path) -> set[str]:
    """The ``gateway`` modules ``path`` imports, relative or absolute, wherever the import
    is: ``from .x import y`` is ``x.y`` when y is a module, else ``x`` itself."""
    name = module_name(path)
    package = (name if path.name == "__init__.py" else name.rpartition(".")[0]).split(".")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package[: len(package) - node.level + 1]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        for alias in node.names:
            child = f"{source}.{alias.name}"
            found.add(child if is_module(child) else source)
    return {n for n in found if within(n, "gateway")}


def area(name: str) -> str:
    if name in AREA_OF:
        return AREA_OF[name]
    first = name.split(".")[1]
    return "base" if first in BASE else first


def modules() -> list[tuple[str, Path]]:
    return sorted((module_name(p), p) for p in PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer():
    for name, _ in modules():
        assert area(name) in MAY_IMPORT, (
            f"{name} is in no layer: add it to BASE, AREA_OF or MAY_IMPORT in this test"
        )


def test_base_modules_exist():
    for name in BASE:
        assert (PACKAGE / f"{name}.py").is_file(), f"BASE names {name}, which is not a module"


def layer_violations() -> list[str]:
    found = []
    for name, path in modules():
        mine = area(name)
        for imported in sorted(imported_modules(path)):
            theirs = area(imported)
            if theirs == mine or theirs in MAY_IMPORT.get(mine, ()):
                continue
            if (name, imported) in EXCEPTIONS:
                continue
            found.append(
                f"{name} imports {imported}: {mine} may import "
                f"{', '.join(sorted(MAY_IMPORT.get(mine, ()))) or 'nothing'}, not {theirs}"
            )
    return found


def test_each_module_imports_only_the_layers_below_it():
    assert layer_violations() == []


def test_every_exception_is_still_needed():
    imports = {name: imported_modules(path) for name, path in modules()}
    for importer, imported in EXCEPTIONS:
        assert imported in imports.get(importer, ()), f"stale exception: {importer} -> {imported}"


def test_provider_folders_import_base_and_helpers_only():
    """A provider's folder imports base, its own folder, the shared helpers of
    gateway/providers/ (answers, calls, options, ...: not the registry) and the folders
    of the providers whose API it speaks (SPEAKS); a helper imports base and helpers."""
    root = PACKAGE / "providers"
    folders = {p.parent.name for p in root.glob("*/__init__.py")}
    for name, path in modules():
        if not within(name, "gateway.providers") or name == "gateway.providers":
            continue
        folder = name.split(".")[2] if name.split(".")[2] in folders else None
        allowed = {folder} | SPEAKS.get(folder, set()) if folder else set()
        for imported in imported_modules(path):
            if area(imported) == "base":
                continue
            parts = imported.split(".")
            ok = within(imported, "gateway.providers") and len(parts) > 2
            ok = ok and (parts[2] in allowed or parts[2] not in folders)
            rule = f"a provider's folder imports {sorted(allowed)}, helpers and base"
            if not folder:
                rule = "a shared helper imports helpers and base"
            assert ok, f"{name} imports {imported}: {rule}"


def test_the_modules_that_read_the_registry_name_no_provider():
    """A provider's fields and auth live in its folder, never in a table or a branch."""
    from gateway.providers import REGISTRY

    names = set(REGISTRY)
    for entry in NO_PROVIDER_NAMES:
        root = PACKAGE / entry
        for path in [root] if root.suffix == ".py" else sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and node.value in names:
                    raise AssertionError(f"{module_name(path)} names provider {node.value!r}")
