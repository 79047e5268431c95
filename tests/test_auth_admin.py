"""The user admin page: admins add accounts, change roles, disable and reset passwords;
every change that matters ends the user's sessions."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.archivists import PASSWORD, add_user, csrf_token, login, signed_in

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return signed_in(app, "root", "admin")


def _post(client: FlaskClient, path: str, **data: str):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/users"), **data})


def test_admin_adds_a_user_who_can_then_sign_in(app: Flask, admin: FlaskClient) -> None:
    response = _post(admin, "/admin/users", name="carol", role="archivist", password=PASSWORD, password2=PASSWORD)
    assert response.status_code == 303
    assert 'id="user-carol"' in admin.get("/admin/users").get_data(as_text=True)
    login(app.test_client(), "carol")


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "carol", "role": "archivist", "password": PASSWORD, "password2": "different password"}, "differ"),
    ({"name": "carol", "role": "archivist", "password": "short", "password2": "short"}, "at least 10"),
    ({"name": "carol", "role": "boss", "password": PASSWORD, "password2": PASSWORD}, "unknown role"),
    ({"name": "root", "role": "admin", "password": PASSWORD, "password2": PASSWORD}, "exists already"),
])
def test_bad_new_user_is_refused_with_the_reason(admin: FlaskClient, data: dict[str, str], message: str) -> None:
    response = _post(admin, "/admin/users", **data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and f'value="{data["name"]}"' in page  # the name is kept


def test_role_change_disable_and_password_reset_end_sessions(app: Flask, admin: FlaskClient) -> None:
    add_user(app, "carol")
    carol = app.test_client()
    login(carol, "carol")
    assert carol.get("/admin/users").status_code == 403
    assert _post(admin, "/admin/users/carol/role", role="admin").status_code == 303
    assert carol.get("/records/new").status_code == 302  # signed out by the role change
    login(carol, "carol")
    assert carol.get("/admin/users").status_code == 200
    assert _post(admin, "/admin/users/carol/password", password="new password!", password2="new password!") \
        .status_code == 303
    assert carol.get("/records/new").status_code == 302
    login(carol, "carol", "new password!")
    assert _post(admin, "/admin/users/carol/active", active="0").status_code == 303
    assert carol.get("/records/new").status_code == 302
    refused = carol.post("/login", data={"name": "carol", "password": "new password!",
                                         "csrf_token": csrf_token(carol)})
    assert refused.status_code == 401
    assert _post(admin, "/admin/users/carol/active", active="1").status_code == 303
    login(carol, "carol", "new password!")


def test_the_last_admin_cannot_lock_everyone_out(admin: FlaskClient) -> None:
    response = _post(admin, "/admin/users/root/role", role="archivist")
    assert response.status_code == 422 and "last active admin" in response.get_data(as_text=True)
    assert _post(admin, "/admin/users/root/active", active="0").status_code == 422
    assert admin.get("/admin/users").status_code == 200
