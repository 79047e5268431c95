"""Commands over accounts and API tokens: `user add|list|passwd|disable|enable|role` and
`token create|list|revoke`. Passwords are prompted (hidden), never taken as arguments."""

from __future__ import annotations

import sys

import click

from ..access import ROLES
from ..errors import CatalogueError
from ..plurals import counted
from .context import get_catalogue
from .output import user_errors

ROLE = click.Choice(ROLES)


def read_password() -> str:
    """A new password: prompted twice without echo on a terminal, one line of stdin otherwise."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    if not line:
        raise CatalogueError("no password given on standard input")
    return line.rstrip("\r\n")


@click.group("user")
def user_group() -> None:
    """Archivist and admin accounts for the web interface."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=ROLE, required=True, help="archivist: edits records and runs harvests; "
                                                        "admin: also manages users and sources.")
@user_errors
def user_add(name: str, role: str) -> None:
    """Create an account; the password is prompted (or read from stdin when piped)."""
    user = get_catalogue().accounts.add(name, read_password(), role)
    click.echo(f"Created {user.role} {user.name}.")


@user_group.command("list")
@user_errors
def user_list() -> None:
    """Show every account with its role and state."""
    for row in get_catalogue().accounts.users():
        state = "active" if row.active else "disabled"
        click.echo(f"{row.name}\t{row.role}\t{state}\tsince {row.created}")


@user_group.command("passwd")
@click.argument("name")
@user_errors
def user_passwd(name: str) -> None:
    """Set a new password; the user's sessions end."""
    accounts = get_catalogue().accounts
    accounts.user(name)
    accounts.change_password(name, read_password())
    click.echo(f"Password of {name} changed; their sessions have ended.")


@user_group.command("disable")
@click.argument("name")
@user_errors
def user_disable(name: str) -> None:
    """Stop an account from signing in and end its sessions (history keeps its name)."""
    get_catalogue().accounts.set_active(name, False)
    click.echo(f"Disabled {name}.")


@user_group.command("enable")
@click.argument("name")
@user_errors
def user_enable(name: str) -> None:
    """Let a disabled account sign in again."""
    get_catalogue().accounts.set_active(name, True)
    click.echo(f"Enabled {name}.")


@user_group.command("role")
@click.argument("name")
@click.argument("role", type=ROLE)
@user_errors
def user_role(name: str, role: str) -> None:
    """Change an account's role; its sessions end."""
    get_catalogue().accounts.set_role(name, role)
    click.echo(f"{name} is now {role}.")


@click.group("token")
def token_group() -> None:
    """Bearer tokens for the write API (scripts)."""


@token_group.command("create")
@click.argument("name")
@click.option("--role", type=ROLE, default="archivist", show_default=True, help="What the token may do.")
@user_errors
def token_create(name: str, role: str) -> None:
    """Create a token labelled NAME and print it once (only its hash is kept)."""
    token = get_catalogue().accounts.create_token(name, role)
    click.echo(f"Token {name} ({role}); store it now, it is not shown again:", err=True)
    click.echo(token)


@token_group.command("list")
@user_errors
def token_list() -> None:
    """Show every token: id, label, role, created, last used, state (never the secret)."""
    for row in get_catalogue().accounts.tokens():
        state = "revoked" if row.revoked else "live"
        click.echo(f"{row.id}\t{row.name}\t{row.role}\t{row.created}\t{row.last_used or 'never used'}\t{state}")


@token_group.command("revoke")
@click.argument("token_id_or_name")
@user_errors
def token_revoke(token_id_or_name: str) -> None:
    """Revoke a token by id, or every live token with that label."""
    count = get_catalogue().accounts.revoke_tokens(token_id_or_name)
    click.echo(f"Revoked {counted(count, 'token')}.")


COMMANDS: list[click.Command] = [user_group, token_group]
