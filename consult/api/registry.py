"""Each API operation declares what it takes and gives; the request is parsed from it.

``@operation(...)`` goes under the blueprint's route decorator. It records the summary,
the request model (the JSON body is parsed into it before the view runs, which gets it
as ``body``), the query parameters, the response model and the error statuses; the
OpenAPI document (consult.api.openapi) is generated from these records, so the
document and what the code accepts cannot drift apart.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from pydantic import BaseModel

from consult.api.base import json_body
from consult.db import parse_number
from consult.errors import Invalid
from consult.schemas.common import Model, parse

View = TypeVar("View", bound=Callable[..., ResponseReturnValue])

#: The attribute of a view function that holds its Operation.
ATTRIBUTE = "api_operation"


@dataclass(frozen=True)
class QueryParam:
    """A query parameter, for the document (the view reads and checks it)."""

    name: str
    schema: dict[str, Any]
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    #: The status of success; 204 answers with no body.
    status: int = 200
    body: type[Model] | None = None
    response: type[BaseModel] | None = None
    #: The error statuses this operation answers with (besides 503 for writes).
    errors: tuple[int, ...] = (401, 403)
    query: tuple[QueryParam, ...] = field(default_factory=tuple)
    #: Needs no token.
    public: bool = False
    description: str = ""
    #: Other media types the success answer may have (files, by ``?format=``).
    files: tuple[str, ...] = ()
    #: The form field of a file the operation takes as ``multipart/form-data`` (the view
    #: reads it; see consult.api.base.UPLOAD_LIMITS for its size).
    upload: str | None = None


def operation(
    summary: str,
    *,
    tag: str,
    status: int = 200,
    body: type[Model] | None = None,
    response: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (401, 403),
    query: tuple[QueryParam, ...] = (),
    public: bool = False,
    description: str = "",
    files: tuple[str, ...] = (),
    upload: str | None = None,
) -> Callable[[View], View]:
    """Declare an API operation (see the module's docstring).

    With ``body``, the view is called with ``body=`` the parsed model; a body that is
    not JSON, not an object or too deep is 400, one that does not fit the model 422
    (413 where a text is above what may be sent).
    """
    record = Operation(
        summary=summary,
        tag=tag,
        status=status,
        body=body,
        response=response,
        errors=errors,
        query=query,
        public=public,
        description=description,
        files=files,
        upload=upload,
    )

    def decorate(view: View) -> View:
        if body is None:
            setattr(view, ATTRIBUTE, record)
            return view

        @functools.wraps(view)
        def parsed(**kwargs: Any) -> ResponseReturnValue:
            return view(**kwargs, body=parse(body, json_body()))

        setattr(parsed, ATTRIBUTE, record)
        return parsed  # type: ignore[return-value]

    return decorate


def operation_of(view: Callable[..., Any]) -> Operation | None:
    """The Operation a view declared, if any."""
    found: Operation | None = getattr(view, ATTRIBUTE, None)
    return found


_NEGATIVE = re.compile(r"-[0-9]{1,18}")


def query_int(name: str) -> int | None:
    """The integer query parameter ``name`` of the current operation, checked against the
    schema its ``@operation`` declares (``minimum``, ``maximum``, ``required``,
    ``default``): the one check of the API's number parameters. An absent optional one
    is its default (or None). Raises Invalid (``invalid_parameter``, the field named) for
    one that is missing though required, not a whole number, or out of its range;
    LookupError if the operation declares no such parameter (a programming error)."""
    found = operation_of(current_app.view_functions[request.endpoint or ""])
    named = [param for param in (found.query if found else ()) if param.name == name]
    if not named:
        raise LookupError(f"the operation declares no query parameter {name!r}")
    declared = named[0]
    schema = declared.schema
    raw = request.args.get(name)
    if raw is None:
        if declared.required:
            _refuse(name, _("Bitte „%(name)s“ angeben.", name=name))
        default = schema.get("default")
        return int(default) if default is not None else None
    value = parse_number(raw)  # "" too is not a number
    if value is None and _NEGATIVE.fullmatch(raw):
        value = int(raw)  # a number, below any minimum we declare
    low, high = schema.get("minimum"), schema.get("maximum")
    if value is None:
        _refuse(name, _("„%(name)s“ muss eine ganze Zahl sein.", name=name))
    elif (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            _refuse(name, _("„%(name)s“ muss mindestens %(low)s sein.", name=name, low=low))
        _refuse(
            name,
            _(
                "„%(name)s“ muss zwischen %(low)s und %(high)s liegen.",
                name=name,
                low=low,
                high=high,
            ),
        )
    return value


def _refuse(name: str, message: str) -> NoReturn:
    raise Invalid(message, code="invalid_parameter", fields={name: message})


def required_query_int(name: str) -> int:
    """:func:`query_int` of a parameter the operation declares ``required``.
    Raises Invalid as query_int does."""
    value = query_int(name)
    if value is None:  # declared optional without a default: a programming error
        raise LookupError(f"query parameter {name!r} is not declared required")
    return value
