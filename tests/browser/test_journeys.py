"""What a person does in the web client, end to end, in headless chromium: each journey
against its own local runner, with a browser context per person."""

import json
import os
import re
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

from conftest import PASSWORD, PDF, sign_up, signed_in, violations
from playwright.sync_api import expect

NEXT_YEAR = (datetime.now(timezone.utc) + timedelta(days=365)).strftime("%Y-%m-%dT20:00")


def list_ticket(runner, title, price):
    """A seller, signed up through the API, with one ticket (and its file) for sale; its id."""
    seller = runner.signed_up(f"seller-{title.lower().replace(' ', '-')}@example.com")
    ticket, _ = runner.call("POST", "/api/tickets", {"title": title, "price": price}, seller)
    runner.attach(ticket["id"], PDF, seller)
    return ticket["id"]


def fill_the_sell_form(seller, title, price, pdf_name):
    """On the Sell page, a ticket's title and price, and a real PDF as its file."""
    seller.get_by_role("link", name="Sell", exact=True).click()
    seller.get_by_label("Title").fill(title)
    seller.get_by_label("Price (USD)").fill(price)
    choose_pdf(seller, "Ticket file (optional now)", pdf_name)


def choose_pdf(page, label, name):
    """Chooses a real PDF named `name` in the file field labelled `label`."""
    page.get_by_label(label).set_input_files({"name": name, "mimeType": "application/pdf", "buffer": PDF})


def pay_with(buyer, card, amount):
    """Pays `amount` (as the button says it) with the test card whose label names `card`."""
    buyer.get_by_label(re.compile(card)).check()
    buyer.get_by_role("button", name=f"Pay {amount}").click()


def pay_with_stripe_js(buyer, number, amount):
    """Pays `amount` with the card `number` in Stripe.js's card field."""
    card = buyer.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("10001")
    buyer.get_by_role("button", name=f"Pay {amount}").click()


def paid(buyer, amount):
    """Pays `amount` with the card that succeeds, and sees the order paid."""
    pay_with(buyer, "succeeds", amount)
    expect(buyer.locator("#order-status")).to_have_text("Paid")


def order_from_the_listing(page, title):
    page.goto("/")
    page.get_by_role("link", name=title).click()
    page.get_by_role("button", name=re.compile(r"^Buy for")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order for “{title}”")


def stripe_runner(runner, **settings):
    """A runner with `settings` in Stripe mode against the Stripe test server, its payments
    and Connect webhook endpoints registered there; and that server's address."""
    stripe = os.environ["LOCALSTRIPE_ENDPOINT"]
    secrets = {"payments": "whsec_browser_payments", "payouts": "whsec_browser_connect"}
    api = runner(
        STRIPE_SECRET_KEY="sk_test_browser",
        STRIPE_API_BASE=stripe,
        STRIPE_PUBLISHABLE_KEY="pk_test_browser",
        STRIPE_JS_URL=f"{stripe}/js.stripe.com/v3/",
        STRIPE_WEBHOOK_SECRET=secrets["payments"],
        STRIPE_CONNECT_WEBHOOK_SECRET=secrets["payouts"],
        **settings,
    )
    for kind, path in (("webhooks", "payments"), ("connect_webhooks", "payouts")):
        hook = urllib.request.Request(f"{stripe}/_config/{kind}/browser-{api.port}", method="POST")
        urllib.request.urlopen(hook, f"url={api.base}/api/{path}/webhook&secret={secrets[path]}".encode()).close()
    return api, stripe


def reserved(runner, person, title, price, **settings):
    """A runner with `settings` (variables), the ticket `title` for sale at `price`, and a
    buyer's page that has just ordered it."""
    api = runner(**settings)
    list_ticket(api, title, price)
    return api, ordering(person(api.base), title)


def ordering(page, title):
    """`page` as a new buyer (buyer@example.com, signed up in the client) who has just
    ordered the listed ticket `title`: on its order page."""
    sign_up(page, "buyer@example.com")
    order_from_the_listing(page, title)
    return page


def test_a_seller_lists_a_ticket_and_a_buyer_orders_it_watches_the_countdown_and_pays(runner, person):
    api = runner()
    seller = person(api.base)
    sign_up(seller, "seller@example.com")
    seller.get_by_role("link", name="Sell").click()
    seller.get_by_label("Title").fill("Rust Conf after party")
    seller.get_by_label("Price (USD)").fill("45.50")
    seller.get_by_label("Date and time (UTC)").fill(NEXT_YEAR)
    seller.get_by_label("Venue").fill("The Warehouse")
    seller.get_by_role("button", name="List the ticket").click()
    expect(seller.get_by_role("heading", level=1)).to_have_text("Rust Conf after party")
    expect(seller.locator("#ticket-status")).to_have_text("available")

    buyer = person(api.base, phone=True)
    sign_up(buyer, "buyer@example.com")
    listed = buyer.get_by_role("list", name="Tickets for sale").get_by_role("listitem")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("$45.50")
    expect(listed).to_contain_text("The Warehouse")
    order_from_the_listing(buyer, "Rust Conf after party")

    clock = buyer.get_by_role("timer", name="Time left to pay")
    first = clock.inner_text()
    assert re.fullmatch(r"1[45]:\d\d", first), first
    expect(clock).not_to_have_text(first, timeout=3_000)
    expect(buyer.locator("#order-status")).to_have_text("Reserved, waiting for payment")

    pay_with(buyer, "succeeds", "$45.50")
    receipt = buyer.get_by_role("status").filter(has_text="Receipt")
    expect(receipt).to_contain_text("Paid $45.50 for “Rust Conf after party”.")
    expect(buyer.locator("#order-status")).to_have_text("Paid")

    seller.reload()
    expect(seller.locator("#ticket-status")).to_have_text("sold")
    buyer.get_by_role("link", name="Rust Conf after party").click()
    expect(buyer.locator("#ticket-status")).to_have_text("sold")
    expect(buyer.get_by_text("This ticket is sold.")).to_be_visible()
    buyer.get_by_role("link", name="My orders").click()
    expect(buyer.get_by_role("row", name=re.compile("Rust Conf after party"))).to_contain_text("Paid")


def test_a_declined_card_shows_the_message_and_another_card_succeeds(runner, person):
    _, buyer = reserved(runner, person, "Jazz night", 30)

    pay_with(buyer, "declined", "$30.00")
    declined = buyer.get_by_role("alert")
    expect(declined).to_contain_text("The payment did not go through: Your card was declined.")
    expect(declined).to_contain_text("Try another card.")
    expect(buyer.locator("#order-status")).to_have_text("Reserved, waiting for payment")
    buyer.reload()
    expect(buyer.get_by_role("alert")).to_contain_text("The last payment did not go through: Your card was declined.")
    expect(buyer.get_by_role("table")).to_contain_text("Declined: Your card was declined.")

    paid(buyer, "$30.00")
    payments = buyer.get_by_role("table").get_by_role("row")
    expect(payments).to_have_count(2)
    expect(payments.nth(1)).to_contain_text("$30.00")
    expect(payments.nth(1)).to_contain_text("Paid")
    buyer.get_by_role("link", name="Notifications").click()
    expect(buyer.get_by_role("listitem").first).to_be_visible()


def test_a_card_that_asks_for_3d_secure_pays_once_the_buyer_confirms(runner, person):
    _, buyer = reserved(runner, person, "Opera", 80)
    pay_with(buyer, "3-D Secure", "$80.00")
    check = buyer.get_by_role("group", name="3-D Secure")
    expect(check).to_contain_text("Your bank asks you to confirm this payment")
    check.get_by_role("button", name="Confirm the payment").click()
    expect(buyer.locator("#order-status")).to_have_text("Paid")
    expect(buyer.get_by_role("status").filter(has_text="Receipt")).to_contain_text("Paid $80.00")


def test_an_unpaid_reservation_expires_and_the_ticket_is_for_sale_again(runner, person):
    _, buyer = reserved(runner, person, "Last minute", 12, RESERVATION_TIMEOUT_SECONDS=4)
    expect(buyer.get_by_role("timer", name="Time left to pay")).to_have_text(re.compile(r"0:0[1-4]"))

    expect(buyer.locator("#order-status")).to_have_text("Expired", timeout=15_000)
    expect(buyer.get_by_role("alert")).to_contain_text("This reservation expired before it was paid")
    expect(buyer.get_by_role("button", name=re.compile("^Pay"))).to_have_count(0)
    buyer.get_by_role("link", name="Last minute").click()
    expect(buyer.locator("#ticket-status")).to_have_text("available")
    expect(buyer.get_by_role("button", name="Buy for $12.00")).to_be_enabled()


def test_validation_messages_appear_next_to_the_fields(runner, person):
    api = runner()
    page = person(api.base)
    page.goto("/#/signup")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#field-email-error")).not_to_be_empty()
    expect(page.locator("#field-password-error")).to_contain_text("8")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email")).to_be_focused()

    sign_up(page, "seller@example.com")
    page.get_by_role("link", name="Sell").click()
    page.get_by_label("Price (USD)").fill("12.345")
    page.get_by_role("button", name="List the ticket").click()
    expect(page.locator("#field-title-error")).not_to_be_empty()
    expect(page.locator("#field-price-error")).to_contain_text("decimal")
    expect(page.get_by_label("Title")).to_be_focused()
    page.get_by_label("Title").fill("Fixed")
    page.get_by_label("Price (USD)").fill("12.34")
    page.get_by_label("Date and time (UTC)").fill("2001-01-01T10:00")
    page.get_by_role("button", name="List the ticket").click()
    expect(page.locator("#field-title-error")).to_be_empty()
    expect(page.locator("#field-date-error")).to_contain_text("future")


def test_a_seller_is_told_why_a_reserved_ticket_cannot_change(runner, person):
    api = runner()
    seller_session = api.signed_up("seller@example.com")
    ticket, _ = api.call("POST", "/api/tickets", {"title": "Derby", "price": 20}, seller_session)
    buyer_session = api.signed_up("buyer@example.com")
    api.call("POST", "/api/orders", {"ticketId": ticket["id"]}, buyer_session)

    seller = signed_in(person(api.base), "seller@example.com")
    seller.goto(f"/#/tickets/{ticket['id']}")
    expect(seller.locator("#ticket-status")).to_have_text("reserved")
    seller.get_by_role("button", name="Delete").click()
    expect(seller.get_by_role("alert")).to_have_text("This ticket is reserved or sold, so it cannot change any more.")
    seller.get_by_role("link", name="Edit").click()
    seller.get_by_label("Price (USD)").fill("25")
    seller.get_by_role("button", name="Save").click()
    expect(seller.get_by_role("alert")).to_have_text("This ticket is reserved or sold, so it cannot change any more.")


def test_a_signed_out_visitor_is_sent_to_sign_in_before_buying_and_comes_back(runner, person):
    api = runner()
    ticket_id = list_ticket(api, "Folk festival", 55)
    visitor = person(api.base)
    visitor.goto("/")
    expect(visitor.get_by_role("link", name="Sign in")).to_be_visible()
    visitor.get_by_role("link", name="Folk festival").click()
    visitor.get_by_role("button", name="Sign in to buy").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(visitor.get_by_role("status")).to_have_text("Please sign in first.")
    visitor.get_by_role("link", name="Create an account").click()
    visitor.get_by_label("Email").fill("visitor@example.com")
    visitor.get_by_label("Password").fill(PASSWORD)
    visitor.get_by_role("button", name="Create account").click()
    expect(visitor).to_have_url(re.compile(f"#/tickets/{ticket_id}$"))
    visitor.get_by_role("button", name="Buy for $55.00").click()
    expect(visitor.locator("#order-status")).to_have_text("Reserved, waiting for payment")
    visitor.get_by_role("button", name="Cancel the order").click()
    expect(visitor.locator("#order-status")).to_have_text("Cancelled")
    visitor.get_by_role("button", name="Sign out", exact=True).click()
    expect(visitor.get_by_role("link", name="Sign in")).to_be_visible()
    visitor.reload()
    expect(visitor.get_by_role("link", name="Sign in")).to_be_visible()
    visitor.goto("/#/orders")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_signing_out_everywhere_ends_the_session_on_another_device(runner, person):
    api = runner()
    laptop = person(api.base)
    sign_up(laptop, "ada@example.com")
    phone = signed_in(person(api.base), "ada@example.com")
    phone.get_by_role("link", name="Payouts").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Payouts")

    laptop.get_by_role("button", name="Sign out everywhere").click()
    expect(laptop.get_by_role("status")).to_have_text("You are signed out on every device.")
    laptop.reload()
    expect(laptop.get_by_role("link", name="Sign in")).to_be_visible()

    phone.get_by_role("link", name="Tickets", exact=True).click()
    phone.get_by_role("link", name="Payouts").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(phone.get_by_role("status")).to_have_text("Your sessions were ended on every device. Please sign in again.")
    phone.reload()
    expect(phone.get_by_role("link", name="Sign in")).to_be_visible()
    assert not violations(phone)


def test_everything_works_with_the_keyboard(runner, person):
    api = runner()
    list_ticket(api, "Keyboard gig", 10)
    page = person(api.base)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tickets for sale")

    def tab_to(name):
        for _ in range(40):
            page.keyboard.press("Tab")
            focused = "(e => (e.labels && e.labels[0] ? e.labels[0] : e).textContent.trim())(document.activeElement)"
            if page.evaluate(focused) == name:
                return
        raise AssertionError(f"{name!r} cannot be reached with Tab")

    tab_to("Sign up")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email")).to_be_visible()
    page.keyboard.press("Tab")  # from the heading to the first field
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#account")).to_contain_text("keys@example.com")
    tab_to("Keyboard gig")
    page.keyboard.press("Enter")
    tab_to("Buy for $10.00")
    page.keyboard.press("Enter")
    expect(page.locator("#order-status")).to_have_text("Reserved, waiting for payment")
    tab_to("Visa 4242 4242 4242 4242 (succeeds)")
    page.keyboard.press("Space")
    tab_to("Pay $10.00")
    page.keyboard.press("Enter")
    expect(page.locator("#order-status")).to_have_text("Paid")


def test_with_stripe_js_a_declined_card_then_3d_secure_pays_and_shows_the_receipt(runner, person):
    api, _ = stripe_runner(runner)

    list_ticket(api, "Stripe night", 42)
    buyer = ordering(person(api.base), "Stripe night")
    expect(buyer.locator("#card-element input").first).to_be_visible()
    # The card field is Stripe's own (an iframe of Stripe.js; here localstripe's stand-in).
    assert not violations(buyer, exclude="#card-element")

    pay_with_stripe_js(buyer, "4000000000000002", "$42.00")
    expect(buyer.get_by_role("alert")).to_contain_text("The payment did not go through: Your card was declined.")
    pay_with_stripe_js(buyer, "4000002500003155", "$42.00")
    buyer.get_by_role("button", name="Complete authentication").click()
    expect(buyer.locator("#order-status")).to_have_text("Paid", timeout=20_000)
    expect(buyer.get_by_role("status").filter(has_text="Receipt")).to_contain_text("Paid $42.00")


def verified(page, api, email, mails=1):
    """`page`, signed in as `email`, having opened the link of the newest of the `mails`
    verification mails sent (sign-up's, and each one asked for again: each replaces the last)."""
    link = mailed_link(api, email, "Verify your e-mail address", at_least=mails)
    assert link.startswith(f"{api.base}/#/verify-email?token="), link
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your e-mail address is verified")
    expect(page.locator("#banner")).to_be_hidden()
    return page


def test_a_seller_onboards_sells_and_sees_the_payout_scheduled_then_paid(runner, person):
    api = runner(PAYOUT_HOLD_SECONDS=3)
    seller = person(api.base)
    sign_up(seller, "seller@example.com")
    # Until the address is verified, a banner says so, and payouts cannot be set up.
    expect(seller.locator("#banner")).to_contain_text("Verify your e-mail address: we mailed a link to seller@example.com")
    seller.get_by_role("link", name="Payouts").click()
    expect(seller.get_by_role("heading", level=1)).to_have_text("Payouts")
    expect(seller.locator("#payout-account")).to_contain_text("Verify your e-mail address to set up payouts")
    expect(seller.get_by_role("button", name="Set up payouts")).to_have_count(0)
    seller.get_by_role("button", name="Mail me another link").click()
    expect(seller.get_by_role("status")).to_contain_text("Another link is on its way to seller@example.com")
    assert not violations(seller)
    verified(seller, api, "seller@example.com", mails=2).get_by_role("link", name="Set up payouts").click()
    expect(seller.get_by_role("heading", level=1)).to_have_text("Payouts")
    seller.get_by_role("button", name="Set up payouts").click()
    # The runner's stand-in of the payment provider's hosted onboarding.
    expect(seller.get_by_role("heading", level=1)).to_have_text("Set up payouts")
    seller.get_by_role("button", name="Complete onboarding").click()
    expect(seller.get_by_role("heading", level=1)).to_have_text("Payouts")
    expect(seller.locator("#payout-account")).to_contain_text("Payouts are enabled")

    fill_the_sell_form(seller, "Indie night", "45", "indie-night.pdf")
    # 5 % of 45.00 is 2.25, plus 0.50.
    expect(seller.locator("#you-receive")).to_contain_text("You receive $42.25 (fee $2.75)")
    seller.get_by_role("button", name="List the ticket").click()
    expect(seller.get_by_role("heading", level=1)).to_have_text("Indie night")

    buyer = ordering(person(api.base), "Indie night")
    paid(buyer, "$45.00")

    seller.get_by_role("link", name="Payouts").click()
    sale = seller.get_by_role("row").filter(has_text="$42.25")
    expect(sale).to_contain_text("$45.00")
    expect(sale).to_contain_text("$2.75")
    expect(sale).to_contain_text(re.compile("Scheduled|Paid"))
    expect(sale).to_contain_text("Paid", timeout=15_000)
    assert not violations(seller)


def test_a_seller_who_has_not_onboarded_is_held_and_paid_after_onboarding(runner, person):
    api, buyer = reserved(runner, person, "Folk night", 20, PAYOUT_HOLD_SECONDS=1)
    paid(buyer, "$20.00")

    seller = verified(signed_in(person(api.base), "seller-folk-night@example.com"), api, "seller-folk-night@example.com")
    seller.goto("/#/payouts")
    sale = seller.get_by_role("row").filter(has_text="$20.00")
    expect(sale).to_contain_text("connect a payout account", timeout=15_000)
    seller.get_by_role("button", name="Set up payouts").click()
    seller.get_by_role("button", name="Complete onboarding").click()
    expect(seller.locator("#payout-account")).to_contain_text("Payouts are enabled")
    expect(seller.get_by_role("row").filter(has_text="$20.00")).to_contain_text("Paid")


def test_a_buyer_reports_a_problem_and_the_sellers_payout_shows_it_held(runner, person):
    api, buyer = reserved(runner, person, "Jazz night", 30, PAYOUT_HOLD_SECONDS=3600)
    paid(buyer, "$30.00")

    buyer.get_by_text("A problem with this ticket?").click()
    buyer.get_by_role("button", name="Report a problem").click()
    expect(buyer.locator("#field-message-error")).to_contain_text("message must not be empty")
    buyer.get_by_label("What went wrong?").fill("The ticket never arrived.")
    buyer.get_by_role("button", name="Report a problem").click()
    expect(buyer.locator("#problem")).to_contain_text("“The ticket never arrived.”")
    expect(buyer.locator("#problem")).to_contain_text("The seller is not paid while we look into it")
    assert not violations(buyer)

    seller = signed_in(person(api.base), "seller-jazz-night@example.com")
    seller.goto("/#/payouts")
    expect(seller.get_by_role("row").filter(has_text="$30.00")).to_contain_text("the buyer reported a problem")


def test_with_stripe_connect_a_seller_onboards_on_stripes_page_and_is_paid_after_a_sale(runner, person):
    api, stripe = stripe_runner(runner, PAYOUT_HOLD_SECONDS=3)

    seller = verified(sign_up(person(api.base), "seller@example.com"), api, "seller@example.com")
    seller.get_by_role("link", name="Payouts", exact=True).click()
    seller.get_by_role("button", name="Set up payouts").click()
    # Stripe's hosted onboarding (here the Stripe test server's stand-in), on its own origin.
    expect(seller.get_by_role("heading", level=1)).to_have_text("Set up payouts")
    assert seller.url.startswith(stripe)
    seller.get_by_role("button", name="Complete onboarding").click()
    expect(seller.get_by_role("heading", level=1)).to_have_text("Payouts")
    expect(seller.locator("#payout-account")).to_contain_text("Payouts are enabled")
    fill_the_sell_form(seller, "Connect night", "45", "connect-night.pdf")
    seller.get_by_role("button", name="List the ticket").click()
    expect(seller.get_by_role("heading", level=1)).to_have_text("Connect night")

    buyer = ordering(person(api.base), "Connect night")
    pay_with_stripe_js(buyer, "4242424242424242", "$45.00")
    expect(buyer.locator("#order-status")).to_have_text("Paid", timeout=20_000)

    seller.get_by_role("link", name="Payouts").click()
    sale = seller.get_by_role("row").filter(has_text="$42.25")
    expect(sale).to_contain_text("Paid", timeout=20_000)


def test_a_seller_attaches_a_pdf_and_only_the_paying_buyer_downloads_the_same_bytes(runner, person, tmp_path):
    api = runner()
    seller = person(api.base)
    sign_up(seller, "seller@example.com")
    fill_the_sell_form(seller, "Opera night", "60", "opera-night.pdf")
    seller.get_by_role("button", name="List the ticket").click()
    expect(seller.get_by_role("heading", level=1)).to_have_text("Opera night")
    expect(seller.locator("#ticket-file")).to_contain_text("opera-night.pdf (PDF, 1 KB)")
    assert not violations(seller), violations(seller)

    # A file of another type is refused with the API's message next to the field.
    seller.get_by_label("Replace the file").set_input_files(
        {"name": "seat.gif", "mimeType": "image/gif", "buffer": b"GIF89a"}
    )
    seller.get_by_role("button", name="Upload").click()
    expect(seller.locator("#field-file-error")).to_have_text(
        "Content type must be application/pdf, image/png or image/jpeg"
    )
    assert not violations(seller), violations(seller)

    buyer = ordering(person(api.base), "Opera night")
    order_id = buyer.url.rsplit("/", 1)[-1]
    assert buyer.get_by_role("link", name=re.compile("Download ticket")).count() == 0
    early = buyer.request.get(f"/api/orders/{order_id}/file", max_redirects=0)
    assert early.status == 403, early.status

    pay_with(buyer, "succeeds", "$60.00")
    expect(buyer.get_by_role("status").filter(has_text="Receipt")).to_be_visible()
    download_link = buyer.get_by_role("link", name=re.compile("Download ticket"))
    expect(download_link).to_contain_text("PDF")
    assert not violations(buyer), violations(buyer)
    with buyer.expect_download() as download:
        download_link.click()
    saved = tmp_path / "ticket.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "opera-night.pdf"
    assert saved.read_bytes() == PDF

    stranger = person(api.base)
    sign_up(stranger, "stranger@example.com")
    assert stranger.request.get(f"/api/orders/{order_id}/file", max_redirects=0).status == 403


def test_a_seller_who_sold_without_the_file_uploads_it_and_the_payout_is_no_longer_held(runner, person):
    api = runner()
    seller_session = api.signed_up("seller@example.com")
    ticket, _ = api.call("POST", "/api/tickets", {"title": "Jazz brunch", "price": 30}, seller_session)
    buyer = api.signed_up("buyer@example.com")
    order, _ = api.call("POST", "/api/orders", {"ticketId": ticket["id"]}, buyer)
    api.call("POST", "/api/payments", {"orderId": order["id"], "token": "pm_card_visa"}, buyer)

    seller = signed_in(person(api.base), "seller@example.com")
    seller.goto("/#/payouts")
    expect(seller.locator("tbody tr").first).to_contain_text("upload the ticket's file")
    seller.goto(f"/#/tickets/{ticket['id']}")
    expect(seller.get_by_text("Sold without its file")).to_be_visible()
    choose_pdf(seller, "Attach the file", "brunch.pdf")
    seller.get_by_role("button", name="Upload").click()
    expect(seller.locator("#ticket-file")).to_contain_text("brunch.pdf")
    expect(seller.get_by_label("Attach the file")).to_have_count(0)
    seller.goto("/#/payouts")
    expect(seller.locator("tbody tr").first).to_contain_text("Scheduled")


def mailed_link(api, to, subject, at_least=1):
    """The link in the newest mail to `to` with `subject` the runner sent (`/_local/mail`), once
    it has sent `at_least` of them (the runner delivers mail a moment after it is asked for)."""
    for _ in range(100):
        with urllib.request.urlopen(f"{api.base}/_local/mail") as reply:
            mail = [m for m in json.load(reply) if m["to"] == to and m["subject"] == subject]
        if len(mail) >= at_least:
            return re.search(r"https?://\S+", mail[0]["text"]).group(0)
        time.sleep(0.1)
    raise AssertionError(f"no mail {subject!r} to {to}")


def test_a_person_who_forgot_the_password_resets_it_from_the_mails_link(runner, person):
    api = runner()
    page = person(api.base)
    sign_up(page, "forgetful@example.com")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.get_by_role("link", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("forgetful@example.com")
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("status")).to_contain_text("a link to choose a new password is on its way")
    assert not violations(page)

    link = mailed_link(api, "forgetful@example.com", "Reset your password")
    assert link.startswith(f"{api.base}/#/reset-password?token="), link
    page.goto(link)
    page.get_by_label("New password").fill("a brand new passphrase")
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_contain_text("Your password is set")

    page.get_by_label("Email").fill("forgetful@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid credentials")
    page.get_by_label("Password").fill("a brand new passphrase")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#account")).to_contain_text("forgetful@example.com")

    page.goto(link)
    page.get_by_label("New password").fill("yet another passphrase")
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("alert")).to_contain_text("This link is invalid or has expired")


# What the web client asks of the API in one purchase, as scripts/bench_report.py prices it.
PURCHASE_REQUESTS = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "purchase-requests.json")
ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


def test_a_purchase_with_stripe_js_asks_the_api_what_the_cost_model_counts(runner, person):
    """A buyer opens the site, opens a ticket, orders it and pays with Stripe.js, and sees
    the receipt: the API requests the client made on the way are those of
    bench/purchase-requests.json. Once Stripe.js has confirmed the payment, the client asks
    the API to record it and the answer carries the complete order: no read of the order
    follows, unless Stripe's webhook recorded the payment first (the client is then told
    409 and reads the order once). The page's own files the visit loads are the file's
    `files` (each is a request to CloudFront, which the cost model counts).
    RECORD_PURCHASE=1 rewrites the file."""
    api, _ = stripe_runner(runner)
    list_ticket(api, "Recorded night", 42)
    buyer = person(api.base)
    sign_up(buyer, "buyer@example.com")

    buyer.goto("/")
    expect(buyer.get_by_role("link", name="Recorded night")).to_be_visible()
    # The visit starts on a fresh load of the site, as a visitor's does.
    requests = []
    buyer.on("request", lambda request: requests.append(request))
    buyer.reload()
    buyer.get_by_role("link", name="Recorded night").click()
    buyer.get_by_role("button", name=re.compile(r"^Buy for")).click()
    pay_with_stripe_js(buyer, "4242424242424242", "$42.00")
    expect(buyer.get_by_role("status").filter(has_text="Receipt")).to_contain_text("Paid $42.00", timeout=20_000)
    expect(buyer.get_by_role("link", name="Download ticket")).to_be_visible()

    asked, files = [], []
    origin = urllib.parse.urlsplit(api.base).netloc
    for request in requests:
        url = urllib.parse.urlsplit(request.url)
        if url.path.startswith("/api/"):
            asked.append(f"{request.method} {ULID.sub('{id}', url.path)}")
        elif url.netloc == origin and not url.path.startswith("/_local/"):
            files.append(url.path)
    # The polls: every read of the order after the payment started.
    paid = asked.index("POST /api/payments")
    assert asked[paid + 1] == "POST /api/payments", asked
    reads = [at for at in range(paid, len(asked)) if asked[at] == "GET /api/orders/{id}"]
    assert len(reads) <= 1, asked
    asked = [request for at, request in enumerate(asked) if at not in reads]
    if os.environ.get("RECORD_PURCHASE"):
        with open(PURCHASE_REQUESTS, "w") as out:
            json.dump({"files": sorted(files), "requests": asked, "polls": 0}, out, indent=2)
            out.write("\n")
    with open(PURCHASE_REQUESTS) as text:
        recorded = json.load(text)
    assert asked == recorded["requests"], asked
    assert sorted(files) == recorded["files"], files
