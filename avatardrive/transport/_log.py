"""Warn once per kind of problem: a stream or a hostile peer must not flood the log."""

from __future__ import annotations

import logging

__all__ = ["WarnOnce"]


class WarnOnce:
    """Log a warning the first time each kind of problem happens, stay quiet afterwards.

    Kinds come from a small fixed set chosen by the caller (never from peer data), so the set of
    seen kinds stays bounded.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._seen: set[str] = set()

    def __call__(self, kind: str, message: str, *args: object, exc_info: bool = False) -> None:
        """Warn with ``message % args`` unless ``kind`` was already warned about."""
        if kind not in self._seen:
            self._seen.add(kind)
            self._logger.warning(message, *args, exc_info=exc_info)

    def seen(self, kind: str) -> bool:
        """Whether ``kind`` has been warned about."""
        return kind in self._seen
