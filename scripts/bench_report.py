"""The benchmark's report (scripts/bench): one table per function, then the AWS requests of
each user action and what a million completed purchases cost.

    python scripts/bench_report.py INIT_JSON INVOCATIONS_JSONL [LOCAL_JSONL]

INIT_JSON comes from scripts/bench_init.py --json, INVOCATIONS_JSONL from the
bench-invocations binary, LOCAL_JSONL from `local`'s bench-local binary.
"""

import json
import math
import os
import platform
import statistics
import sys

import yaml

# AWS's published on-demand prices, us-east-1 (USD).
PRICES = {
    "lambda_gb_second_arm64": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "http_api_request": 1.00 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    "eventbridge_event": 1.00 / 1e6,
    "scheduler_invocation": 1.00 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "sqs_fifo_request": 0.50 / 1e6,
}

RELAY = ("outbox-relay", "ticket-created.json")
# What each user action runs: (function, sample), the relay publishing the events the
# action's changes stored, and the consumers its events reach (template.yaml's rules:
# expiration-schedule gets order.created and order.cancelled; notifications-consumer gets
# order.created, order.cancelled, payment.succeeded, payment.refunded).
ACTIONS = {
    "sign up": [("users-signup", "201-new-account.json")],
    "sign in": [("users-signin", "200-valid-credentials.json")],
    "list tickets": [("tickets-list", "200-available.json")],
    "create a ticket": [("tickets-create", "201-new-ticket.json"), RELAY],
    "order": [
        ("orders-create", "201-new-order.json"), RELAY,
        ("expiration-schedule", "order-created.json"), ("notifications-consumer", "order-cancelled.json"),
    ],
    "pay in one step": [
        ("payments-create", "201-pay-with-card.json"), RELAY, ("notifications-consumer", "order-cancelled.json"),
    ],
    "pay by webhook": [
        ("payments-create", "201-start-payment.json"), ("payments-webhook", "200-payment-succeeded.json"), RELAY,
        ("notifications-consumer", "order-cancelled.json"),
    ],
    "expire": [
        "schedule", ("expiration-fire", "expire-order.json"), RELAY,
        ("expiration-schedule", "order-cancelled.json"), ("notifications-consumer", "order-cancelled.json"),
    ],
    "cancel": [
        ("orders-cancel", "204-own-order.json"), RELAY,
        ("expiration-schedule", "order-cancelled.json"), ("notifications-consumer", "order-cancelled.json"),
    ],
    "open a ticket": [("tickets-get", "200-existing.json")],
    "read the order": [("orders-get", "200-own-order.json")],
    "expiry of a complete order": ["schedule", ("expiration-fire", "expire-order.json")],
}
# A completed purchase: the buyer lists the tickets, opens one, orders it, pays in one step
# and reads the order; the reservation's schedule still fires, on a complete order (counted
# with the expiry sample of an open order, an upper bound: on a complete order it only reads).
PURCHASE = ["list tickets", "open a ticket", "order", "pay in one step", "read the order", "expiry of a complete order"]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.ceil(len(ordered) * p)) - 1)]


def functions():
    """From template.yaml: each function's memory size, and the functions behind the HTTP API."""
    with open("template.yaml") as text:
        template = yaml.load(text, Loader=yaml.BaseLoader)  # tolerates !Ref and friends
    default = int(template["Globals"]["Function"].get("MemorySize", 128))
    sizes, http = {}, set()
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
            sizes[binary] = int(resource["Properties"].get("MemorySize", default))
            events = resource["Properties"].get("Events", {}).values()
            if any(event.get("Type") == "HttpApi" for event in events):
                http.add(binary)
    return sizes, http


def main():
    with open(sys.argv[1]) as text:
        init = json.load(text)
    cold, warm, calls, local = {}, {}, {}, []
    with open(sys.argv[2]) as lines:
        for line in lines:
            row = json.loads(line)
            if row["kind"] == "cold":
                cold[row["function"]] = row
            elif row["kind"] == "warm":
                warm[row["function"]] = row
            elif row["kind"] == "calls":
                calls[(row["function"], row["sample"])] = row
    if len(sys.argv) > 3 and os.path.exists(sys.argv[3]):
        with open(sys.argv[3]) as lines:
            local = [json.loads(line) for line in lines]

    hello = statistics.median(init["hello-world"]["init_ms"])
    one_call = statistics.median(cold["one-call"]["ms"])
    print(f"Measured {os.popen('date -u +%Y-%m-%d').read().strip()} on {platform.machine()}, {os.cpu_count()} cores"
          f" ({platform.processor() or platform.platform()}); host build, release profile.")
    print(f"init: spawn to the first `next` on a Runtime API emulator, {len(init['hello-world']['init_ms'])} interleaved"
          " runs; cold: spawn to the response of the first invocation, its AWS calls over TLS to moto;"
          " warm: later invocations in the same process, through the emulator, against moto.\n")
    header = (f"{'function':<24}{'size MB':>8}{'init ms':>9}{'p90':>7}{'x hello':>8}{'cold ms':>9}{'x 1-call':>9}"
              f"{'warm p50':>9}{'p99':>7}{'RSS MB':>7}")
    print(header)
    print("-" * len(header))
    for name, row in init.items():
        runs = row["init_ms"]
        line = (f"{name:<24}{row['size'] / 1e6:>8.2f}{statistics.median(runs):>9.2f}{percentile(runs, 0.9):>7.2f}"
                f"{statistics.median(runs) / hello:>8.2f}")
        if name in cold:
            c = statistics.median(cold[name]["ms"])
            line += f"{c:>9.1f}{c / one_call:>9.2f}"
        else:
            line += f"{'':>9}{'':>9}"
        if name in warm:
            w = warm[name]["ms"]
            line += f"{statistics.median(w):>9.2f}{percentile(w, 0.99):>7.2f}"
        else:
            line += f"{'':>9}{'':>7}"
        line += f"{statistics.median(row['rss_kib']) / 1024:>7.1f}"
        print(line)
    failures = {name: row["failures"] for name, row in cold.items() if row["failures"]}
    if failures:
        print(f"(cold invocations that did not succeed: {failures})")
    print("Reference: Rust on provided.al2023 arm64, hello world cold start about 14 ms in public measurements;"
          " Node.js about 130 ms.\n")

    if local:
        print(f"{'in process, embedded store':<34}{'p50 ms':>9}{'p99 ms':>9}")
        for row in local:
            print(f"{row['route']:<34}{percentile(row['ms'], 0.5):>9.3f}{percentile(row['ms'], 0.99):>9.3f}")
        print()

    sizes, http_functions = functions()

    def cost_of(action):
        totals = {"requests": {}, "reads": 0.0, "writes": 0.0, "usd": 0.0}
        requests = totals["requests"]
        events = 0

        def add(kind, count=1):
            requests[kind] = requests.get(kind, 0) + count

        for step in ACTIONS[action]:
            if step == "schedule":
                add("scheduler")
                totals["usd"] += PRICES["scheduler_invocation"]
                continue
            function, sample = step
            row = calls.get((function, sample))
            if row is None:
                raise SystemExit(f"no recorded calls for {function} {sample}")
            add("lambda")
            duration = math.ceil(statistics.median(warm[function]["ms"])) if function in warm else 10
            totals["usd"] += PRICES["lambda_request"]
            totals["usd"] += duration / 1000 * sizes.get(function, 128) / 1024 * PRICES["lambda_gb_second_arm64"]
            if function in http_functions:
                add("http api")
                totals["usd"] += PRICES["http_api_request"]
            if function in ("expiration-schedule", "notifications-consumer"):
                # EventBridge sends the message, Lambda receives it and deletes it.
                add("sqs", 3)
                totals["usd"] += 3 * PRICES["sqs_request"]
            if step == RELAY:
                add("eventbridge events", events)
                totals["usd"] += events * PRICES["eventbridge_event"]
                add("aws calls", 1)  # PutEvents
                continue
            events += row["events"]
            for call in row["calls"]:
                add("aws calls")
                totals["reads"] += call["reads"]
                totals["writes"] += call["writes"]
                if call["operation"].startswith("sqs:"):
                    totals["usd"] += PRICES["sqs_fifo_request"]
        totals["usd"] += totals["reads"] * PRICES["dynamodb_read_unit"] + totals["writes"] * PRICES["dynamodb_write_unit"]
        return totals

    print(f"{'user action':<28}{'Lambda':>7}{'HTTP API':>9}{'AWS calls':>10}{'RRU':>6}{'WRU':>6}{'events':>7}"
          f"{'SQS':>5}{'sched':>6}{'$ per million':>15}")
    costs = {}
    for action in ACTIONS:
        t = cost_of(action)
        costs[action] = t
        r = t["requests"]
        print(f"{action:<28}{r.get('lambda', 0):>7}{r.get('http api', 0):>9}{r.get('aws calls', 0):>10}"
              f"{t['reads']:>6.1f}{t['writes']:>6.0f}{r.get('eventbridge events', 0):>7}{r.get('sqs', 0):>5}"
              f"{r.get('scheduler', 0):>6}{t['usd'] * 1e6:>15.2f}")
    purchase = sum(costs[action]["usd"] for action in PURCHASE)
    print(f"\nOne million completed purchases ({', '.join(PURCHASE)}): ${purchase * 1e6:,.2f}"
          " (goal: at most $6). Lambda at the warm p50 durations measured above (rounded up to the ms) and the"
          " template's memory sizes; DynamoDB on demand for items up to 1 KB; no free tier.")


if __name__ == "__main__":
    main()
