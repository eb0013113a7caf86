"""Runs localstripe, a stateful fake of the Stripe API, on 127.0.0.1 for the tests.

    python scripts/localstripe_server.py PORT

localstripe as published keeps its data in /tmp/localstripe.pickle and omits fields that
typed Stripe clients require; here it keeps everything in memory and fills those fields
in with what Stripe itself would send. Its stand-in of Stripe.js (`/js.stripe.com/v3/`)
gains the browser's confirmation of an intent with a card (scripts/localstripe_confirm.js),
it honours `Idempotency-Key` as Stripe does, and it plays the part of Stripe Connect the
marketplace uses (localstripe has none): Express accounts, account and login links,
transfers from a charge and their reversals. An account link opens a stand-in of Stripe's
hosted onboarding (`/_config/connect/onboarding/{id}`) whose button completes it. A test finishes a
seller's onboarding with `POST /_config/accounts/{id}/onboard`, disconnects an account with
`POST /_config/accounts/{id}/deauthorize` (after which a request on its behalf, with
`Stripe-Account`, is refused as Stripe refuses it), and pays an account's balance out to its bank with
`POST /_config/accounts/{id}/withdraw` (`amount`). Connect endpoints are registered with
`POST /_config/connect_webhooks/{id}` (`url`, `secret`): onboarding sends them a signed
`account.updated`, a disconnection `account.application.deauthorized`, before it answers.
"""

import hashlib
import hmac
import html
import json
import os
import sys
import time
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


def with_transfer_group(cls):
    """Stripe's `transfer_group` on a PaymentIntent (localstripe refuses it): kept and shown."""
    init, export = cls.__init__, cls._export

    def __init__(self, transfer_group=None, **kwargs):
        init(self, **kwargs)
        self.transfer_group = transfer_group

    def _export(self, expand=None):
        data = export(self, expand=expand)
        data["transfer_group"] = getattr(self, "transfer_group", None)
        return data

    cls.__init__, cls._export = __init__, _export


with_transfer_group(resources.PaymentIntent)


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


def charge_by_id(cls):
    """Stripe writes an intent's `latest_charge` as the charge's id unless it is expanded."""
    export = cls._export

    def _export(self, expand=None):
        data = export(self, expand=expand)
        charge = data.get("latest_charge")
        if isinstance(charge, dict) and "latest_charge" not in (expand or []):
            data["latest_charge"] = charge.get("id")
        return data

    cls._export = _export


charge_by_id(resources.PaymentIntent)
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
async def stripe_account(request, handler):
    """A request made on behalf of a connected account (`Stripe-Account`) is refused, as
    Stripe refuses it, unless the account is one of the platform's and still connected."""
    account = request.headers.get("Stripe-Account")
    if account is not None and request.path.startswith("/v1/"):
        known = connect["accounts"].get(account)
        if known is None or known.get("disconnected"):
            raise errors.UserError(403, "The provided key does not have access to account '" + account +
                                   "' (or that account does not exist). Application access may have been revoked.")
    return await handler(request)


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


# Stripe Connect, in memory: what the marketplace asks of it, as Stripe answers.
connect = {"accounts": {}, "transfers": {}, "webhooks": {}}


async def config_connect_webhook(request):
    """Registers an endpoint for connected accounts' events (`url`, `secret`), as a Connect
    endpoint in Stripe's dashboard is."""
    data = await server.get_post_data(request) or {}
    if not data.get("url") or not data.get("secret"):
        raise errors.UserError(400, "A Connect webhook needs url and secret")
    connect["webhooks"][request.match_info["id"]] = (data["url"], data["secret"])
    return server.json_response({"id": request.match_info["id"]})


async def send_connect_event(kind, account_id, data_object):
    """Sends a Connect event about `account_id`, signed as Stripe signs, to every registered
    Connect endpoint, once each (no retries), before answering: the caller sees its effect."""
    created = int(time.time())
    event = {"id": new_id("evt"), "object": "event", "api_version": "2025-09-30.clover", "account": account_id,
             "created": created, "livemode": False, "pending_webhooks": len(connect["webhooks"]),
             "request": {"id": None, "idempotency_key": None}, "type": kind, "data": {"object": data_object}}
    payload = json.dumps(event).encode()
    async with aiohttp.ClientSession() as session:
        for url, secret in list(connect["webhooks"].values()):
            signature = hmac.new(secret.encode(), b"%d.%s" % (created, payload), hashlib.sha256).hexdigest()
            headers = {"Content-Type": "application/json; charset=utf-8",
                       "Stripe-Signature": "t=%d,v1=%s" % (created, signature)}
            try:
                async with session.post(url, data=payload, headers=headers) as reply:
                    await reply.read()
            except aiohttp.ClientError:
                pass


async def onboarded(account):
    account["onboarded"] = True
    await send_connect_event("account.updated", account["id"], account_json(account))


def new_id(prefix):
    return prefix + "_" + os.urandom(12).hex()


def not_found(kind, id):
    raise errors.UserError(404, "No such " + kind + ": '" + id + "'")


def account_json(account):
    return {"id": account["id"], "object": "account", "type": "express", "payouts_enabled": account["onboarded"],
            "charges_enabled": account["onboarded"], "details_submitted": account["onboarded"],
            "metadata": account["metadata"]}


def listed(data, url):
    """A page as Stripe lists: every item, no more, and where it came from."""
    return {"object": "list", "data": data, "has_more": False, "url": url}


def transfer_json(transfer):
    reversed_ = sum(r["amount"] for r in transfer["reversals"])
    return {"id": transfer["id"], "object": "transfer", "amount": transfer["amount"], "currency": transfer["currency"],
            "created": transfer["created"], "livemode": False, "metadata": {}, "description": None,
            "balance_transaction": "txn_" + transfer["id"][3:], "destination_payment": "py_" + transfer["id"][3:],
            "destination": transfer["destination"], "transfer_group": transfer["transfer_group"],
            "source_transaction": transfer["source_transaction"], "source_type": "card",
            "amount_reversed": reversed_, "reversed": reversed_ == transfer["amount"],
            "reversals": listed(list(reversed(transfer["reversals"])), "/v1/transfers/" + transfer["id"] + "/reversals")}


def account_of(id):
    return connect["accounts"].get(id) or not_found("account", id)


async def create_account(request):
    data = await server.get_post_data(request) or {}
    id = new_id("acct")
    connect["accounts"][id] = {"id": id, "onboarded": False, "balance": 0, "metadata": data.get("metadata") or {}}
    return server.json_response(account_json(connect["accounts"][id]))


async def retrieve_account(request):
    return server.json_response(account_json(account_of(request.match_info["id"])))


async def create_account_link(request):
    data = await server.get_post_data(request) or {}
    account = account_of(str(data.get("account", "")))
    if data.get("type") != "account_onboarding" or not data.get("return_url") or not data.get("refresh_url"):
        raise errors.UserError(400, "An account link needs type, return_url and refresh_url")
    created = int(time.time())
    # Stripe's hosted onboarding, played by a page of this server.
    query = urllib.parse.urlencode({"return_url": data["return_url"], "refresh_url": data["refresh_url"]})
    url = "%s://%s/_config/connect/onboarding/%s?%s" % (request.scheme, request.host, account["id"], query)
    return server.json_response({"object": "account_link", "created": created, "expires_at": created + 300,
                                 "url": url})


ONBOARDING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Set up payouts</title></head>
<body><main><h1>Set up payouts</h1>
<p>Stripe's hosted onboarding, as this test server plays it: no details are asked.</p>
<form method="post"><input type="hidden" name="return_url" value="%s">
<button type="submit">Complete onboarding</button></form></main></body></html>"""


async def onboarding_page(request):
    account_of(request.match_info["id"])
    back = html.escape(request.query.get("return_url", ""), quote=True)
    return aiohttp.web.Response(text=ONBOARDING_PAGE % back, content_type="text/html")


async def complete_onboarding(request):
    account = account_of(request.match_info["id"])
    data = await request.post()
    await onboarded(account)
    raise aiohttp.web.HTTPSeeOther(str(data.get("return_url") or "/"))


async def create_login_link(request):
    account = account_of(request.match_info["id"])
    if not account["onboarded"]:
        raise errors.UserError(400, "Cannot create a login link for an account that has not completed onboarding.")
    return server.json_response({"object": "login_link", "created": int(time.time()),
                                 "url": "https://connect.stripe.com/express/" + account["id"]})


async def create_transfer(request):
    data = await server.get_post_data(request) or {}
    account = account_of(str(data.get("destination", "")))
    if not account["onboarded"]:
        raise errors.UserError(400, "Your destination account needs to have at least one of the following "
                                    "capabilities enabled: transfers, crypto_transfers, legacy_payments")
    charge = resources.Charge._api_retrieve(str(data.get("source_transaction", "")))
    amount = int(data.get("amount", 0))
    if charge.status != "succeeded" or amount <= 0 or amount > charge.amount:
        raise errors.UserError(400, "Insufficient funds in the source transaction for this transfer.")
    id = new_id("tr")
    connect["transfers"][id] = {"id": id, "amount": amount, "currency": data.get("currency"),
                                "destination": account["id"], "transfer_group": data.get("transfer_group"),
                                "source_transaction": charge.id, "reversals": [], "created": int(time.time())}
    account["balance"] += amount
    return server.json_response(transfer_json(connect["transfers"][id]))


async def list_transfers(request):
    group = request.query.get("transfer_group")
    found = [t for t in connect["transfers"].values() if group is None or t["transfer_group"] == group]
    return server.json_response(listed([transfer_json(t) for t in reversed(found)], "/v1/transfers"))


def transfer_of(id):
    return connect["transfers"].get(id) or not_found("transfer", id)


async def create_reversal(request):
    transfer = transfer_of(request.match_info["id"])
    data = await server.get_post_data(request) or {}
    account = connect["accounts"][transfer["destination"]]
    left = transfer["amount"] - sum(r["amount"] for r in transfer["reversals"])
    amount = int(data.get("amount", left))
    if amount <= 0 or amount > left:
        raise errors.UserError(400, "The reversal amount exceeds what is left of the transfer.")
    if amount > account["balance"]:
        error = errors.UserError(400, "Insufficient funds in the destination account to reverse this transfer.")
        error.body["error"]["code"] = "balance_insufficient"
        raise error
    reversal = {"id": new_id("trr"), "object": "transfer_reversal", "amount": amount, "transfer": transfer["id"],
                "currency": transfer["currency"], "created": int(time.time()), "metadata": {},
                "balance_transaction": "txn_" + new_id("rev")[4:], "destination_payment_refund": None,
                "source_refund": None}
    transfer["reversals"].append(reversal)
    account["balance"] -= amount
    return server.json_response(reversal)


async def list_reversals(request):
    transfer = transfer_of(request.match_info["id"])
    return server.json_response(listed(list(reversed(transfer["reversals"])), "/v1/transfers/" + transfer["id"] + "/reversals"))


async def onboard(request):
    account = account_of(request.match_info["id"])
    await onboarded(account)
    return server.json_response(account_json(account))


async def deauthorize(request):
    """The seller disconnects the account from the platform."""
    account = account_of(request.match_info["id"])
    account["onboarded"], account["disconnected"] = False, True
    application = {"id": "ca_localstripe", "object": "application", "name": "localstripe"}
    await send_connect_event("account.application.deauthorized", account["id"], application)
    return server.json_response(account_json(account))


async def withdraw(request):
    account = account_of(request.match_info["id"])
    data = await server.get_post_data(request) or {}
    account["balance"] -= min(int(data.get("amount", 0)), account["balance"])
    return server.json_response({"balance": account["balance"]})


for method, path, handler in (
    ("POST", "/v1/accounts", create_account),
    ("GET", "/v1/accounts/{id}", retrieve_account),
    ("POST", "/v1/account_links", create_account_link),
    ("POST", "/v1/accounts/{id}/login_links", create_login_link),
    ("POST", "/v1/transfers", create_transfer),
    ("GET", "/v1/transfers", list_transfers),
    ("POST", "/v1/transfers/{id}/reversals", create_reversal),
    ("GET", "/v1/transfers/{id}/reversals", list_reversals),
    ("POST", "/_config/accounts/{id}/onboard", onboard),
    ("POST", "/_config/accounts/{id}/withdraw", withdraw),
    ("POST", "/_config/accounts/{id}/deauthorize", deauthorize),
    ("POST", "/_config/connect_webhooks/{id}", config_connect_webhook),
    ("GET", "/_config/connect/onboarding/{id}", onboarding_page),
    ("POST", "/_config/connect/onboarding/{id}", complete_onboarding),
):
    server.app.router.add_route(method, path, handler)

server.app.middlewares.insert(0, stripe_js)
server.app.middlewares.insert(2, idempotency)  # inside localstripe's error middleware
server.app.middlewares.insert(3, stripe_account)
server.app.router.add_post("/js.stripe.com/v3/payment_intents/{id}/confirm", confirm_in_browser)

if __name__ == "__main__":
    aiohttp.web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
