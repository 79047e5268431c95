"""Test helpers for the archivist side: accounts, CSRF tokens taken from real pages, sign-in."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "correct horse battery staple"
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_user(app: Flask, name: str, role: str = "archivist", password: str = PASSWORD) -> None:
    """Create an account through the CLI (password on stdin, as a script would)."""
    result = app.test_cli_runner().invoke(args=["user", "add", name, "--role", role], input=password + "\n")
    assert result.exit_code == 0, result.output


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page of this session embeds in its forms."""
    response = client.get(path)
    match = CSRF_TOKEN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def login(client: FlaskClient, name: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and check it worked."""
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_token(client)})
    assert response.status_code == 303, response.get_data(as_text=True)


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def form_fields(html: str) -> dict[str, str]:
    """The named inputs, textareas and selected options of a page (last one wins), for re-posting;
    the ticked checkboxes of one name as one comma-separated value (unticked ones left out)."""
    fields: dict[str, str] = {}
    ticked: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        named = re.search(r'name="([^"]+)"[^>]*?value="([^"]*)"', tag)
        if not named:
            continue
        name, value = named.group(1), _unescape(named.group(2))
        if 'type="checkbox"' in tag:
            if re.search(r"\schecked[\s>]", tag):
                ticked.setdefault(name, []).append(value)
            continue
        fields[name] = value
    fields.update({name: ", ".join(values) for name, values in ticked.items()})
    for name, value in re.findall(r'<textarea[^>]*?name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        fields[name] = _unescape(value)
    for name, body in re.findall(r'<select[^>]*?name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = _unescape(chosen.group(1)) if chosen else ""
    return fields


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def signed_in(app: Flask, name: str, role: str = "archivist") -> FlaskClient:
    """A client of a new account `name`, signed in."""
    add_user(app, name, role)
    client = app.test_client()
    login(client, name)
    return client
