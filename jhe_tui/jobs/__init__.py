"""Workflows (import, export, follow-up) that run without any UI."""
