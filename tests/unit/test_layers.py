"""Import direction (STYLE.md 3.3): pure layers never import Flask, requests or sqlite3."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "gateway"
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
