"""The domain layer is plain Python: no web framework, no database (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "consult" / "domain"
FORBIDDEN = ("flask", "sqlalchemy", "werkzeug", "jinja2", "alembic")


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _is_forbidden(module: str) -> bool:
    root = module.split(".")[0]
    return root in FORBIDDEN or root.startswith("flask_")


def test_the_domain_package_has_modules() -> None:
    names = {path.name for path in DOMAIN.glob("*.py")}
    assert {"__init__.py", "anchoring.py", "textdiff.py", "textnorm.py", "errors.py"} <= names


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("**/*.py")), ids=lambda p: p.name)
def test_domain_module_imports_neither_flask_nor_sqlalchemy(path: Path) -> None:
    forbidden = sorted(m for m in _imported_modules(path) if _is_forbidden(m))
    assert forbidden == [], f"{path.name} imports {forbidden}"


def test_the_check_sees_nested_and_aliased_imports(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        "import os\n"
        "def f():\n"
        "    import flask as fl\n"
        "    from sqlalchemy.orm import Session\n"
        "    from flask_login import current_user\n"
        "    from . import textdiff\n",
        encoding="utf-8",
    )
    found = sorted(m for m in _imported_modules(module) if _is_forbidden(m))
    assert found == ["flask", "flask_login", "sqlalchemy.orm"]
