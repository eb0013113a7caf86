"""Runs localstripe, a stateful fake of the Stripe API, on 127.0.0.1 for the tests.

    python scripts/localstripe_server.py PORT

localstripe as published keeps its data in /tmp/localstripe.pickle and omits fields that
typed Stripe clients require; here it keeps everything in memory and fills those fields
in with what Stripe itself would send.
"""

import sys

import aiohttp.web
from localstripe import errors, resources, server

# In memory only: parallel runs must not share a pickle file.
resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None


def fill_in(cls, defaults):
    export = cls._export

    def _export(self, expand=None):
        data = export(self, expand=expand)
        for key, value in defaults(self, data).items():
            if data.get(key) is None:
                data[key] = value
        return data

    cls._export = _export


fill_in(resources.PaymentIntent, lambda pi, data: {
    "amount_capturable": 0,
    "amount_received": pi.amount if data.get("status") == "succeeded" else 0,
    "confirmation_method": "automatic",
    "payment_method_types": ["card"],
    "capture_method": "automatic",
})
def typed_payment_error(cls):
    export = cls._export

    def _export(self, expand=None):
        data = export(self, expand=expand)
        error = data.get("last_payment_error")
        if isinstance(error, dict):
            error.setdefault("type", "card_error")
        return data

    cls._export = _export


typed_payment_error(resources.PaymentIntent)
fill_in(resources.Charge, lambda charge, data: {
    "amount_captured": charge.amount if data.get("captured") else 0,
    "amount_refunded": 0,
    "billing_details": {"address": None, "email": None, "name": None, "phone": None},
    "disputed": False,
    "refunded": False,
})
fill_in(resources.Event, lambda event, data: {"pending_webhooks": 1})
fill_in(resources.Refund, lambda refund, data: {"object": "refund"})

# Stripe types a declined card's error as a card error.
user_error_init = errors.UserError.__init__


def __init__(self, code, message=None, contents=None):
    user_error_init(self, code, message, contents)
    if code == 402:
        self.body["error"]["type"] = "card_error"


errors.UserError.__init__ = __init__

if __name__ == "__main__":
    aiohttp.web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
