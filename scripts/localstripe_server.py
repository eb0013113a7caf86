"""Runs localstripe, a stateful fake of the Stripe API, on 127.0.0.1 for the tests.

    python scripts/localstripe_server.py PORT

localstripe as published keeps its data in /tmp/localstripe.pickle and omits fields that
typed Stripe clients require; here it keeps everything in memory and fills those fields
in with what Stripe itself would send. Its stand-in of Stripe.js (`/js.stripe.com/v3/`)
gains the browser's confirmation of an intent with a card (scripts/localstripe_confirm.js),
and it honours `Idempotency-Key` as Stripe does.
"""

import os
import sys
import urllib.parse

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

# Stripe declines its "declined" test cards (4000 0000 0000 0002, ...) when they are
# charged, not only when they are attached to a customer.
charging_is_declined = resources.PaymentMethod._charging_is_declined
resources.PaymentMethod._charging_is_declined = lambda self: charging_is_declined(self) or self._attaching_is_declined()


# Stripe.js in the browser: the card Element's input becomes a card PaymentMethod, and the
# intent is confirmed with it, authorised by the publishable key and the client secret.
async def confirm_in_browser(request):
    data = await server.get_post_data(request, remove_auth=False) or {}
    if not str(data.get("key", "")).startswith("pk_"):
        raise errors.UserError(401, "Unauthorized")
    intent = resources.PaymentIntent._api_retrieve(request.match_info["id"])
    if data.get("client_secret") != intent.client_secret:
        raise errors.UserError(401, "Unauthorized")
    if intent.status not in ("requires_payment_method", "requires_confirmation"):
        raise errors.UserError(400, "This PaymentIntent cannot be confirmed in its current state.")
    method = resources.PaymentMethod._api_create(type="card", card=data.get("card"))
    intent.payment_method = method.id
    intent.latest_charge = None
    intent._confirm(on_failure_now=intent._report_failure)
    return server.json_response(intent._export())


STRIPE_JS = os.path.join(os.path.dirname(resources.__file__), "localstripe-v3.js")
CONFIRM_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "localstripe_confirm.js")


@aiohttp.web.middleware
async def stripe_js(request, handler):
    if request.method == "GET" and request.path == "/js.stripe.com/v3/":
        with open(STRIPE_JS) as stand_in, open(CONFIRM_JS) as confirm:
            return aiohttp.web.Response(text=stand_in.read() + confirm.read(), content_type="application/javascript")
    return await handler(request)


# Stripe's idempotent requests, which localstripe ignores: a POST with an `Idempotency-Key`
# is answered, for the same key and the same parameters, with its first answer again (and
# `Idempotent-Replayed: true`); the same key with other parameters is refused, and one still
# running answers 409, as Stripe does. Answers of 500 and over are not kept.
idempotent_answers = {}
idempotent_running = set()


@aiohttp.web.middleware
async def idempotency(request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    scope = (request.headers.get("Authorization", ""), key)
    # Compared as Stripe does, parameter by parameter: their order in the body is not part of them.
    params = (request.path, sorted(urllib.parse.parse_qsl((await request.read()).decode(), keep_blank_values=True)))
    if scope in idempotent_running:
        raise errors.UserError(409, "There is currently another in-progress request using this Idempotent Key.")
    if scope in idempotent_answers:
        first_params, status, body, content_type = idempotent_answers[scope]
        if first_params != params:
            raise errors.UserError(
                400, "Keys for idempotent requests can only be used with the same parameters they were first used with."
            )
        response = aiohttp.web.Response(status=status, body=body, content_type=content_type)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    idempotent_running.add(scope)
    try:
        response = await handler(request)
    finally:
        idempotent_running.discard(scope)
    if response.status < 500 and isinstance(response, aiohttp.web.Response):
        idempotent_answers[scope] = (params, response.status, response.body, response.content_type)
    return response


server.app.middlewares.insert(0, stripe_js)
server.app.middlewares.insert(2, idempotency)  # inside localstripe's error middleware
server.app.router.add_post("/js.stripe.com/v3/payment_intents/{id}/confirm", confirm_in_browser)

if __name__ == "__main__":
    aiohttp.web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
