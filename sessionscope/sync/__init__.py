"""Syncs from other products' databases into Sessionscope (`sessionscope sync ...`)."""

from __future__ import annotations

from sessionscope.errors import SessionscopeError


class SyncError(SessionscopeError):
    """A sync cannot start or go on; the message says which source, what and why."""
