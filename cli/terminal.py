"""The terminal a command writes to, and the global options that say how: ``-q/--quiet``,
``-v/--verbose``, ``--no-pager``, ``--no-color`` and ``--progress`` (``GLOBAL_OPTIONS``), given
before the command or after it.

The width a table must fit (``width``): ``COLUMNS`` when set, else the terminal's when stdout is
one, else none (a pipe or a file gets whole lines). Colour (``colour``) only on a terminal,
never with ``NO_COLOR`` or ``--no-color``. A long text on a terminal goes through a pager
(``page``) like git's: ``DEFLEDGER_PAGER``, else ``PAGER``, else ``less -FRX`` (an empty value
or ``cat``: none), never with ``--no-pager``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

DEFAULT_PAGER = "less -FRX"


@dataclass
class Settings:
    """What the global and display options chose for this run."""

    quiet: bool = False
    verbose: int = 0
    pager: bool = True
    colour: bool = True
    progress: bool = False
    unit: str = "1"
    places: int = 2


def settings(ctx: click.Context | None = None) -> Settings:
    """This run's settings (defaults outside a command)."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return Settings()
    obj = ctx.find_root().ensure_object(dict)
    found = obj.get("settings")
    if not isinstance(found, Settings):
        found = obj["settings"] = Settings()
    return found


def _setter(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if not value:  # not given here: what the group (or the default) said stands
            return
        chosen = settings(ctx)
        if name == "verbose":
            chosen.verbose += value
        else:
            setattr(chosen, name, name in ("quiet", "progress"))

    return callback


# (declarations, help, attribute of Settings)
GLOBAL_OPTIONS: list[tuple[tuple[str, ...], str, str]] = [
    (("-q", "--quiet"), "No progress, notes or summaries on stderr (errors still).", "quiet"),
    (("-v", "--verbose"), "Say more on stderr (repeatable): phases and their times.", "verbose"),
    (("--no-pager",), "Never page long output (default: a pager on a terminal).", "pager"),
    (("--no-color", "--no-colour"), "No colour (also: NO_COLOR=1).", "colour"),
    (
        ("--progress",),
        "Show progress on stderr even when it is not a terminal (one line every few seconds).",
        "progress",
    ),
]


def global_params(hidden: bool = False) -> list[click.Option]:
    """The global options as parameters: on the group, and (hidden) on every command."""
    from cli.options import BoundedInt

    return [
        click.Option(
            list(decls),
            is_flag=attr != "verbose",
            count=attr == "verbose",
            type=BoundedInt(0, 100) if attr == "verbose" else None,
            expose_value=False,
            callback=_setter(attr),
            help=help_text,
            hidden=hidden,
        )
        for decls, help_text, attr in GLOBAL_OPTIONS
    ]


def add_global_options(command: click.Command) -> None:
    """Give ``command`` (and a group's commands) the global options, hidden, once: they are
    accepted after the command name as well as before it."""
    if getattr(command, "_global_options", False):
        return
    taken = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for param in global_params(hidden=True):
        if not set(param.opts) & taken:
            command.params.append(param)
    command._global_options = True  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_global_options(sub)


# -- the terminal ----------------------------------------------------------------------------


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def stdout_is_tty() -> bool:
    return _is_tty(sys.stdout)


def stderr_is_tty() -> bool:
    return _is_tty(sys.stderr)


def columns_env() -> int | None:
    """``COLUMNS`` as a width, when it is one."""
    text = os.environ.get("COLUMNS", "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else None


def width(to_file: bool = False) -> int | None:
    """The width a table must fit: ``COLUMNS``, else the terminal's (stdout only), else none."""
    found = columns_env()
    if found is not None or to_file:
        return found
    return shutil.get_terminal_size().columns if stdout_is_tty() else None


def colour(to_file: bool = False) -> bool:
    """Colour on stdout: a terminal, no ``NO_COLOR``, no ``--no-color``, not ``TERM=dumb``."""
    return (
        not to_file
        and settings().colour
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM") != "dumb"
        and stdout_is_tty()
    )


def pager_command() -> list[str] | None:
    """The pager to run, or None (``--no-pager``, not a terminal, or none configured)."""
    if not settings().pager or not stdout_is_tty() or not _is_tty(sys.stdin):
        return None
    text = os.environ.get("DEFLEDGER_PAGER", os.environ.get("PAGER", DEFAULT_PAGER)).strip()
    if not text or text == "cat":
        return None
    command = shlex.split(text)
    return command if shutil.which(command[0]) else None


def page(text: str) -> None:
    """Write ``text`` to stdout, through the pager when it is longer than the terminal."""
    command = pager_command()
    if command is None or text.count("\n") < shutil.get_terminal_size().lines - 1:
        click.echo(text, nl=False, color=colour())
        return
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # as git does: quit if one screen, keep colours, no clear
    try:
        with subprocess.Popen(command, stdin=subprocess.PIPE, env=env) as pager:
            assert pager.stdin is not None
            try:
                pager.stdin.write(text.encode("utf-8"))
                pager.stdin.close()
            except BrokenPipeError:  # the reader quit early (q in less): that is fine
                pass
            pager.wait()
    except OSError:
        click.echo(text, nl=False, color=colour())


def note(message: str, *, verbose: int = 0) -> None:
    """A message for people on stderr (not with ``-q``; ``verbose``: only with that many
    ``-v``)."""
    chosen = settings()
    if chosen.quiet or chosen.verbose < verbose:
        return
    click.echo(message, err=True)
