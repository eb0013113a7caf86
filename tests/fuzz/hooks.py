"""Schemathesis hooks for the API's contract (tests/fuzz/schemathesis.toml).

Two rules of the API cannot be said in JSON Schema, so generated data is brought within
them where it claims to be valid, and never made valid where it is not:
- a ticket's `date` must be in the future: a date-time the schema calls valid is moved
  to the future (strings that are not date-times are left alone, for negative tests);
- a `price` has at most two decimals: a number is rounded up to the cent (a value above
  the maximum stays above it; one at or below zero, or huge, is left alone).
"""

import math
from datetime import datetime, timedelta, timezone

import schemathesis

FUTURE = (datetime.now(timezone.utc) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_date_time(value):
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


@schemathesis.hook
def map_body(ctx, body):
    if not isinstance(body, dict):
        return body
    if _is_date_time(body.get("date")):
        body["date"] = FUTURE
    price = body.get("price")
    if isinstance(price, float) and 0 < price < 1e12:
        body["price"] = math.ceil(price * 100) / 100
    return body
