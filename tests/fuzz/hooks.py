"""Schemathesis hooks for the API's contract (tests/fuzz/schemathesis.toml).

One rule of the API cannot be said in JSON Schema: a ticket's `date` must be in the future.
A `date` that the document calls valid (an RFC 3339 date-time, checked by the same validator
schemathesis uses) is moved to the future; any other value is left alone, so data generated to
be invalid stays invalid. Everything else, the price's two forms included, the document says.

The run is one signed-up user's session: a sign-out `{"everywhere": true}` would end it, and
every later payment and payout request would be 401. It is sent as `false` (signing out
everywhere is tested by tests/api/auth_api.rs and a browser journey).
"""

from datetime import datetime, timedelta, timezone

import jsonschema_rs
import schemathesis

FUTURE = (datetime.now(timezone.utc) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")

_DATE_TIME = jsonschema_rs.validator_for({"type": "string", "format": "date-time"}, validate_formats=True)


@schemathesis.hook
def map_body(ctx, body):
    if isinstance(body, dict) and _DATE_TIME.is_valid(body.get("date")):
        body["date"] = FUTURE
    if isinstance(body, dict) and body.get("everywhere") is True:
        body["everywhere"] = False
    return body
