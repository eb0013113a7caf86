"""axe-core on every page of the web client, signed out and signed in, on a desktop and on
a phone screen: no serious or critical violation, and nothing wider than the phone."""

import pytest
from conftest import PASSWORD, PDF, violations
from playwright.sync_api import expect


def check(page, hash, heading, phone):
    page.goto(f"/{hash}")
    expect(page.locator("main h1")).to_have_text(heading)
    page.wait_for_load_state("networkidle")
    found = violations(page)
    if phone:
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            found.append(f"wider than the phone: {width[0]} px in {width[1]} px")
    return [f"{hash}: {problem}" for problem in found]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_no_page_has_a_serious_or_critical_accessibility_violation(runner, person, phone):
    api = runner()
    seller = api.signed_up("seller@example.com")
    tickets = [
        api.call("POST", "/api/tickets", {"title": f"Show {n}", "price": 20 + n, "venue": "Hall"}, seller)[0]["id"]
        for n in range(4)
    ]
    buyer = api.signed_up("buyer@example.com")
    open_order = api.call("POST", "/api/orders", {"ticketId": tickets[0]}, buyer)[0]["id"]
    paid_order = api.call("POST", "/api/orders", {"ticketId": tickets[1]}, buyer)[0]["id"]
    api.call("POST", "/api/payments", {"orderId": paid_order, "token": "pm_card_visa"}, buyer)
    cancelled_order = api.call("POST", "/api/orders", {"ticketId": tickets[2]}, buyer)[0]["id"]
    api.call("DELETE", f"/api/orders/{cancelled_order}", None, buyer)
    own = api.call("POST", "/api/tickets", {"title": "My spare", "price": 9}, buyer)[0]["id"]
    api.attach(own, PDF, buyer)
    api.attach(tickets[1], PDF, seller)

    page = person(api.base, phone=phone)
    problems = []
    for hash, heading in [
        ("#/", "Tickets for sale"),
        (f"#/tickets/{tickets[3]}", "Show 3"),
        ("#/signin", "Sign in"),
        ("#/signup", "Create an account"),
        ("#/nowhere", "Page not found"),
    ]:
        problems += check(page, hash, heading, phone)

    page.goto("/#/signin")
    page.get_by_label("Email").fill("buyer@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#account")).to_contain_text("buyer@example.com")
    for hash, heading in [
        ("#/", "Tickets for sale"),
        (f"#/tickets/{tickets[3]}", "Show 3"),
        (f"#/tickets/{own}", "My spare"),
        (f"#/tickets/{own}/edit", "Edit “My spare”"),
        ("#/sell", "Sell a ticket"),
        ("#/orders", "My orders"),
        (f"#/orders/{open_order}", "Order for “Show 0”"),
        (f"#/orders/{paid_order}", "Order for “Show 1”"),
        (f"#/orders/{cancelled_order}", "Order for “Show 2”"),
        ("#/notifications", "Notifications"),
    ]:
        problems += check(page, hash, heading, phone)

    # A form showing the API's messages next to its fields.
    page.goto("/#/sell")
    page.get_by_role("button", name="List the ticket").click()
    expect(page.locator("#field-title-error")).not_to_be_empty()
    problems += [f"#/sell with errors: {problem}" for problem in violations(page)]
    assert not problems, "\n".join(problems)
