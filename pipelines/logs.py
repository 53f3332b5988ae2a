"""Logging for the command line: one clear sentence per problem, no stack traces by default.

Set ``LEDGERLINE_DEBUG=1`` to see tracebacks.
"""

from __future__ import annotations

import logging
import os


class _NoTracebacks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def configure() -> None:
    """Quiet Prefect and dlt to warnings and strip tracebacks unless debugging."""
    debug = os.environ.get("LEDGERLINE_DEBUG") not in (None, "", "0")
    # the command line prints its own one-sentence errors; Prefect's would repeat them
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "DEBUG" if debug else "CRITICAL")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "INFO" if debug else "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if debug:
        return
    import prefect  # noqa: F401  (configures its handlers on import)

    quiet = _NoTracebacks()
    for name in ("", "prefect", "prefect.flow_runs", "prefect.task_runs", "dlt", "ledgerline"):
        logger = logging.getLogger(name)
        logger.addFilter(quiet)
        for handler in logger.handlers:
            handler.addFilter(quiet)
