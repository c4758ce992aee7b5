"""Conventions every domain reuses: settings, errors, HTTP helpers, storage, events and jobs."""
