"""Errors raised by the pure text core in :mod:`consult.domain`."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation (gettext's extractor looks for ``N_``), leave it as it is."""
    return message


class DomainError(Exception):
    """Base class of every error raised by :mod:`consult.domain`."""


class MessageError(DomainError):
    """An error whose message a person reads: a German template and its parameters.

    ``str(error)`` is the German text; the service layer translates ``template`` (marked
    with :func:`N_`, so it is in the catalog) and fills in ``params`` in the reader's
    language.
    """

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


class AnchorError(DomainError, ValueError):
    """An anchor does not fit its body: offsets out of range, reversed, or a wrong quote."""


class DiffError(DomainError, ValueError):
    """Diff ops that do not rebuild the texts they are said to describe."""
