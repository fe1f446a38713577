"""Narrow, named errors for the domain; driver errors we do not recognise are re-raised."""

from __future__ import annotations


class SessionscopeError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(SessionscopeError):
    """A setting is missing or wrong; the message names the setting and where to fix it."""


class DatabaseUnavailable(SessionscopeError):
    """The database cannot be reached or used; the message is safe to show (no password)."""


class NotFound(SessionscopeError):
    """Nothing visible to this viewer has that id (it may not exist, or be another org's)."""


class Forbidden(SessionscopeError):
    """The viewer's role does not allow this."""


class InvalidState(SessionscopeError):
    """A saved workflow state fails validation; the message says exactly why."""


class ExportTooLarge(SessionscopeError):
    """An export would read more than one export may; the message says how much, and the cap."""


class AlreadyResumed(SessionscopeError):
    """The session moved on since the viewer looked (someone resumed it first): reload it."""


class ImportValidationError(SessionscopeError):
    """A line of an import file is invalid; the message names the line and the field."""

    def __init__(self, line: int, field: str, problem: str) -> None:
        self.line, self.field, self.problem = line, field, problem
        super().__init__(f"line {line}: field '{field}': {problem}")
