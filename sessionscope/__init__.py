"""Sessionscope: the non-UI core (settings, engine, schema, seed, import, CLI)."""
