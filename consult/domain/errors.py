"""Errors raised by the pure text core in :mod:`consult.domain`."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every error raised by :mod:`consult.domain`."""


class AnchorError(DomainError, ValueError):
    """An anchor does not fit its body: offsets out of range, reversed, or a wrong quote."""


class DiffError(DomainError, ValueError):
    """Diff ops that do not rebuild the texts they are said to describe."""
