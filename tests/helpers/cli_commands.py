"""Every command and sub-command of ``cli.app``, by path (``("record", "line")``)."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest

from cli.app import cli as app


def _walk(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from _walk(command, (*prefix, name))
        else:
            yield (*prefix, name)


ALL_COMMANDS = list(_walk(app))


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = app
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    return command


def serve_returns_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve`` runs until stopped: make it build the real server (on a free port, whatever
    ``--port`` said) and return instead of serving, so a test can run it to its end."""
    import waitress

    real = waitress.create_server

    def once(app: object, **options: object) -> object:
        server = real(app, **{**options, "port": 0})
        monkeypatch.setattr(server, "run", lambda: None)
        return server

    monkeypatch.setattr(waitress, "create_server", once)
