"""Where ledgerline keeps its data, the names of things in the warehouse, and configuration checks.

``LEDGERLINE_HOME`` (default ``./data``) holds the warehouse file and all pipeline state. A
home the user points at is created only when its parent directory exists: a typo in the
variable fails with a sentence instead of silently growing a new directory tree (and an empty
warehouse) somewhere else. The default ``./data`` is created as needed.
"""

from __future__ import annotations

import os
from pathlib import Path

VENDORS = ("baloom", "katsu", "ibana", "wuro", "hoursmith")
WAREHOUSE_FILE = "ledgerline.duckdb"
HOME_ENV = "LEDGERLINE_HOME"


class ConfigProblem(Exception):
    """Configuration that cannot work, explained in one sentence that says what to fix."""


def home() -> Path:
    """``LEDGERLINE_HOME`` (default ``./data``): the warehouse file and all pipeline state."""
    return Path(os.environ.get(HOME_ENV) or "./data").resolve()


def warehouse_path() -> Path:
    return home() / WAREHOUSE_FILE


def pipelines_dir() -> Path:
    return home() / "pipelines"


def dataset(vendor: str) -> str:
    return f"raw_{vendor}"


def check_home() -> Path:
    """The home directory, if it exists or can be created; raises :class:`ConfigProblem` if not.

    Creates nothing.
    """
    path = home()
    # exists() before is_dir(): a sync's vendor threads create the directory concurrently, and a
    # directory that appears between the two checks must not be taken for a file
    if path.exists():
        if path.is_dir():
            return path
        raise ConfigProblem(
            f"{HOME_ENV} points at {path}, which is a file: point it at a directory."
        )
    if os.environ.get(HOME_ENV) and not path.parent.is_dir():
        raise ConfigProblem(
            f"{HOME_ENV} points at {path}, but its parent directory {path.parent} does not exist: "
            f"create {path.parent} or correct {HOME_ENV}."
        )
    return path


def ensure_home() -> Path:
    """The home directory, created if missing (see :func:`check_home` for when it cannot be)."""
    path = check_home()
    path.mkdir(parents=not os.environ.get(HOME_ENV), exist_ok=True)
    return path


def check_dlt_settings() -> None:
    """Raise :class:`ConfigProblem` naming the ``.dlt`` TOML file dlt cannot parse, if any.

    dlt reads ``config.toml`` and ``secrets.toml`` from ``./.dlt`` (and its global directory)
    and reports a parse error without saying which file it was; this names the file and the
    line, never its content (it may hold secrets).
    """
    from dlt.common.configuration.providers.toml import TomlProviderReadException

    try:
        import dlt

        dlt.config.get("runtime.log_level")  # makes dlt load its providers
    except TomlProviderReadException as exc:
        raise ConfigProblem(toml_problem(exc.file_name, exc.full_paths)) from None


def toml_problem(file_name: str, paths: list[str]) -> str:
    """One sentence about the first of ``paths`` that is not valid TOML."""
    import tomlkit

    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            continue
        try:
            tomlkit.parse(path.read_text(encoding="utf-8"))
        except Exception as exc:  # tomlkit's parse errors name the line and column
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return f"{path.resolve()} is not valid TOML ({reason}): fix or remove it."
    return f"dlt cannot read its {file_name} in {', '.join(paths)}: fix the file."
