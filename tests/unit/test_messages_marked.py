"""Every message a person reads from a service error is marked for translation.

A raw string (or an f-string) given to a :class:`consult.errors.ServiceError` would reach
English readers in German, and an f-string cannot be translated at all: messages are
``_("… %(name)s …", name=value)`` inside functions and ``_l("…")`` at import time. The same
holds for the per-field messages (``fields={...}``) that forms show next to their inputs,
and for :class:`consult.domain.errors.MessageError` templates (marked with ``N_``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import consult
from consult import errors
from consult.domain import errors as domain_errors

PACKAGE = Path(consult.__file__).parent
#: The service errors and the domain's message errors, by the names code raises them with.
ERRORS = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, errors.ServiceError)
} | {"OutlineError", "MessageError"}
#: The functions that mark a string for translation.
MARKERS = {"_", "_l", "gettext", "lazy_gettext", "N_"}
#: Modules that speak to developers or administrators at a terminal, not to readers.
EXEMPT = {"cli.py", "demo.py", "config.py"}


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name not in EXEMPT)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _unmarked(node: ast.expr) -> bool:
    """A literal text, or an f-string, that no marker function wraps."""
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _name(node.func) not in ERRORS:
            continue
        texts = list(node.args[:1])
        for keyword in node.keywords:
            if keyword.arg == "message":
                texts.append(keyword.value)
            if keyword.arg == "fields" and isinstance(keyword.value, ast.Dict):
                texts.extend(keyword.value.values)
        where = f"{path.name}:{node.lineno}"
        found.extend(f"{where}: {ast.unparse(text)[:70]}" for text in texts if _unmarked(text))
    return found


def test_service_errors_carry_marked_messages() -> None:
    problems = [problem for path in _sources() for problem in _problems(path)]
    assert not problems, "unmarked messages (wrap them in _() or _l()):\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "source",
    [
        'raise Invalid("Der Titel fehlt.")',
        'raise NotFound(f"Die Fassung {n} gibt es nicht.")',
        'raise Invalid(_("Fehlt."), fields={"title": "Bitte angeben."})',
        'raise OutlineError("Der Text ist leer.")',
        'raise errors.Conflict(message="Schon da.")',
    ],
)
def test_the_check_finds_unmarked_messages(tmp_path: Path, source: str) -> None:
    module = tmp_path / "example.py"
    module.write_text(source + "\n", encoding="utf-8")
    assert len(_problems(module)) == 1


def test_the_check_accepts_marked_messages(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text(
        'raise Invalid(_("Der Titel fehlt."), fields={"title": _("Bitte angeben.")})\n'
        'raise NotFound(_("Die Fassung %(n)s gibt es nicht.", n=n))\n'
        'raise OutlineError(N_("Der Text ist leer."))\n'
        "raise Conflict(message)\n",
        encoding="utf-8",
    )
    assert _problems(module) == []


def test_message_errors_fill_in_their_template() -> None:
    error = domain_errors.MessageError("Die Nummer „%(key)s“ kommt zweimal vor.", key="2")
    assert str(error) == "Die Nummer „2“ kommt zweimal vor."
    assert error.template == "Die Nummer „%(key)s“ kommt zweimal vor."
    assert error.params == {"key": "2"}
    # without parameters the template is the text, percent signs and all
    assert str(domain_errors.MessageError("100 % fertig")) == "100 % fertig"
