"""What every request model shares: strict types, the text rules, ids, error translation.

A request body is parsed into a model before any service sees it. Types are strict (a
number is no text, ``true`` no number), ``null`` for an optional field means "not
given", unknown fields are ignored (clients may send more than they must). Text fields
pass :mod:`consult.domain.textrules`, the table the web forms use as well. A refusal
becomes the API's error: 422 with a ``code``, a message in the reader's language and
``fields`` (input name -> what is wrong with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

from flask_babel import format_decimal
from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictInt,
    StrictStr,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from consult.db import MAX_ID
from consult.domain import textrules
from consult.domain.textrules import TextRule, TextRuleError
from consult.errors import Invalid, ServiceError, TooLarge


class Model(BaseModel):
    """A request body: strict types, unknown fields ignored, not changed after parsing."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    #: The code of an error inside a structured field (a wrong anchor's start, a section
    #: of a list), where the API has always named it so (else ``invalid_field``).
    field_codes: ClassVar[dict[str, str]] = {}
    #: What a message calls a field ("Der bisherige Text"), where the API has always named
    #: it so (else "Das Feld „old“").
    field_labels: ClassVar[dict[str, Any]] = {}


def _apply(rule: TextRule, too_long: tuple[str, int] | None) -> Any:
    def check(value: str) -> str:
        try:
            return textrules.check_text(value, rule)
        except TextRuleError as exc:
            # The template goes on untranslated; translate_errors() translates it.
            context: dict[str, Any] = {**exc.params, "labelled": exc.labelled}
            if exc.reason == "too_long" and too_long is not None:
                context["code"], context["status"] = too_long
            raise PydanticCustomError(f"text_{exc.reason}", exc.template, context) from None

    return check


def text(rule: TextRule, *, too_long: tuple[str, int] | None = None) -> Any:
    """A text field checked by ``rule`` (its limits also in the OpenAPI document).
    ``too_long``: the code and status of a text above the limit, where the API has
    always answered so (else 422 ``invalid_<field>``)."""
    limits: dict[str, Any] = {"max_length": rule.max_length}
    if rule.required:
        limits["min_length"] = 1
    return Annotated[StrictStr, AfterValidator(_apply(rule, too_long)), Field(**limits)]


def one_of(values: Sequence[str]) -> Any:
    """``json_schema_extra`` for a text checked against these values by the service (its
    refusal keeps the code the API has always given, e.g. ``invalid_kind``)."""
    return {"enum": list(values)}


#: An id: an integer the id columns can hold (larger ones name nothing; 422).
Id = Annotated[StrictInt, Field(ge=-MAX_ID - 1, le=MAX_ID)]

Name = text(textrules.NAME)
Title = text(textrules.TITLE)
Comment = text(textrules.COMMENT)
Response = text(textrules.RESPONSE)
Note = text(textrules.NOTE)
Description = text(textrules.DESCRIPTION)
GroupDescription = text(textrules.GROUP_DESCRIPTION)
RoundDescription = text(textrules.ROUND_DESCRIPTION)
Reason = text(textrules.REASON)
Replacement = text(textrules.REPLACEMENT)
Quote = text(textrules.QUOTE)
SectionBody = text(textrules.SECTION_BODY, too_long=("body_too_long", 422))
SectionKey = text(textrules.SECTION_KEY)
Markdown = text(textrules.MARKDOWN, too_long=("too_large", 413))
Password = text(textrules.PASSWORD)
Email = text(textrules.EMAIL)
StatementBody = text(textrules.STATEMENT_BODY)
Function = text(textrules.FUNCTION)
ReceiptNumber = text(textrules.RECEIPT_NUMBER)
ReportBody = text(textrules.REPORT)


#: The JSON schema of word-level diff ops: ``[op, text]`` pairs with op one of equal,
#: insert, delete (API.md). A component of its own in the OpenAPI document ("Ops").
OPS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "array",
        "prefixItems": [
            {"type": "string", "enum": ["equal", "insert", "delete"]},
            {"type": "string"},
        ],
        "minItems": 2,
        "maxItems": 2,
    },
}


def _ops_schema(schema: dict[str, Any]) -> None:
    schema.clear()
    schema.update(OPS_SCHEMA)


class Ops(RootModel[list[tuple[str, str]]]):
    """Word-level diff ops (a response part)."""

    model_config = ConfigDict(json_schema_extra=_ops_schema)


def _field_name(location: Sequence[int | str]) -> str:
    """``("sections", 2, "title")`` -> ``sections[2].title``."""
    name = ""
    for part in location:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else part
    return name


_TYPE_NAMES = {
    "string_type": "str",
    "int_type": "int",
    "int_from_float": "int",
    "bool_type": "bool",
    "list_type": "list",
    "model_type": "object",
    "dict_type": "object",
    "model_attributes_type": "object",
    "float_type": "float",
}


def _explain(error: Any, labels: dict[str, Any]) -> tuple[str, str, str, int]:
    """(code, message, field message, status) of one of pydantic's errors, in the reader's
    language."""
    name = _field_name(error["loc"])
    label = labels.get(name)
    kind = error["type"]
    if error.get("input", ...) is None:
        kind = "missing"  # null where a value is needed: not given (API.md)
    if kind == "missing":
        return "missing_field", _("Das Feld „%(name)s“ fehlt.", name=name), _("fehlt"), 422
    if kind.startswith("text_"):
        # The German template (marked with N_ in consult.domain.textrules) and its values.
        ctx = dict(error.get("ctx") or {})
        code = ctx.pop("code", None) or "invalid_" + str(error["loc"][-1] if error["loc"] else "")
        status = int(ctx.pop("status", 422))
        labelled = str(ctx.pop("labelled"))
        values = {k: format_decimal(v) if isinstance(v, int) else v for k, v in ctx.items()}
        sentence = _(str(error["msg"]), **values) if values else _(str(error["msg"]))
        if label is not None:
            message = _(labelled, label=str(label), **values)
        else:
            message = _("Das Feld „%(name)s“: %(problem)s", name=name, problem=sentence)
        return code.rstrip("_"), message, sentence, status
    if kind in ("greater_than_equal", "less_than_equal"):
        return (
            "invalid_field",
            _("Das Feld „%(name)s“ liegt außerhalb des erlaubten Bereichs.", name=name),
            _("Zahl zu groß"),
            422,
        )
    if kind in ("literal_error", "enum"):
        return (
            "invalid_field",
            _("Das Feld „%(name)s“ hat keinen der erlaubten Werte.", name=name),
            _("unbekannter Wert"),
            422,
        )
    expected = _TYPE_NAMES.get(kind, "")
    if expected:
        return (
            "invalid_field",
            _("Das Feld „%(name)s“ muss vom Typ %(expected)s sein.", name=name, expected=expected),
            _("erwartet %(expected)s", expected=expected),
            422,
        )
    return (
        "invalid_field",
        _("Das Feld „%(name)s“ ist ungültig.", name=name),
        _("ungültig"),
        422,
    )


def translate_errors(
    exc: PydanticValidationError,
    field_codes: dict[str, str] | None = None,
    field_labels: dict[str, Any] | None = None,
) -> ServiceError:
    """pydantic's errors as the API's error (422, or 413 for a text above what may be
    sent): the first one's code and message, and every field at fault in ``fields``."""
    errors = exc.errors(include_url=False)
    fields: dict[str, str] = {}
    first: tuple[str, str, int] | None = None
    for error in errors:
        code, message, field_message, status = _explain(error, field_labels or {})
        location = error["loc"]
        structured = (field_codes or {}).get(str(location[0])) if location else None
        if (
            structured
            and (len(location) > 1 or code != "missing_field")
            and (code.startswith("invalid_") or code == "missing_field")
        ):
            code = structured
        fields.setdefault(_field_name(error["loc"]) or "body", field_message)
        if first is None:
            first = (code, message, status)
    assert first is not None
    if first[2] == 413:
        return TooLarge(first[1], code=first[0])
    return Invalid(first[1], code=first[0], fields=fields)


def parse(model: type[Model], data: Any) -> Any:
    """``data`` (a decoded JSON object) as ``model``; raises Invalid (422)."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise translate_errors(exc, model.field_codes, model.field_labels) from None
