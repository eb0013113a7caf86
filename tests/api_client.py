"""The API without a browser, for the Python test drivers (tests/browser, tests/fuzz): a JSON
request with an optional Bearer session, and a new account's session."""

import json
import urllib.request

PASSWORD = "correct horse battery"


def call(base, method, path, body=None, session=None):
    """`method path` with a JSON `body`: the decoded answer and its `set-cookie` header."""
    request = urllib.request.Request(base + path, method=method)
    request.add_header("content-type", "application/json")
    if session:
        request.add_header("authorization", f"Bearer {session}")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data) as response:
        cookie = response.headers.get("set-cookie", "")
        return json.loads(response.read() or b"null"), cookie


def signed_up(base, email):
    """A new account's session token (signed up with PASSWORD)."""
    _, cookie = call(base, "POST", "/api/users/signup", {"email": email, "password": PASSWORD})
    return cookie.split(";")[0].split("=", 1)[1]
