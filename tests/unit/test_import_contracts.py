"""The import contracts of pyproject.toml (``[tool.importlinter]``, run by ``make imports``)
hold, and each of them fails when its rule is broken (ARCHITECTURE.md, "Layering").

They replace an AST check of the domain's imports: import-linter also sees imports
inside functions, indirect imports and the layers above the domain.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run the contracts of ``root``/pyproject.toml on ``root``/consult."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=root,
        # The copy's package comes first on the path, before the installed one.
        env={**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of consult/ and pyproject.toml to break rules in."""
    root = tmp_path_factory.mktemp("tree")
    shutil.copytree(
        ROOT / "consult", root / "consult", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


VIOLATIONS = [
    pytest.param(
        "domain is plain Python",
        "consult/domain/textnorm.py",
        "def _late() -> None:\n    import flask\n",
        id="domain-imports-flask-in-a-function",
    ),
    pytest.param(
        "domain is plain Python",
        "consult/domain/outline.py",
        "from sqlalchemy.orm import Session\n",
        id="domain-imports-sqlalchemy",
    ),
    pytest.param(
        "domain is plain Python",
        "consult/domain/anchoring.py",
        "from consult.errors import Invalid\n",
        id="domain-imports-another-consult-module",
    ),
    pytest.param(
        "models import no services",
        "consult/models/feedback.py",
        "from consult.services import access\n",
        id="models-import-services",
    ),
    pytest.param(
        "services import no web",
        "consult/services/access.py",
        "from consult.web import filters\n",
        id="services-import-web",
    ),
    pytest.param(
        "layers:",
        "consult/web/main.py",
        "from consult.api import base\n",
        id="web-imports-api",
    ),
    pytest.param(
        "no import cycles",
        "consult/services/revisions.py",
        "def _late() -> None:\n    from consult.services import drafts\n",
        id="services-in-a-circle",
    ),
]


@pytest.mark.parametrize(("contract", "path", "code"), VIOLATIONS)
def test_a_contract_fails_when_its_rule_is_broken(
    tree: Path, contract: str, path: str, code: str
) -> None:
    module = tree / path
    original = module.read_text(encoding="utf-8")
    module.write_text(original + "\n\n" + code, encoding="utf-8")
    try:
        result = lint_imports(tree)
    finally:
        module.write_text(original, encoding="utf-8")
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith(" BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
