"""The benchmark's report (scripts/bench): one table per function, then the AWS requests of
each user action and what a million completed purchases cost.

    python scripts/bench_report.py INIT_JSON INVOCATIONS_JSONL [LOCAL_JSONL]

INIT_JSON "-" prints the cost tables only (from a bench-invocations run with --cold 0 --warm 0).

INIT_JSON comes from scripts/bench_init.py --json, INVOCATIONS_JSONL from the
bench-invocations binary, LOCAL_JSONL from `local`'s bench-local binary.
"""

import gzip
import json
import math
import os
import pathlib
import platform
import re
import statistics
import sys

import yaml

# AWS's published on-demand prices, us-east-1 (USD), no free tier.
PRICES = {
    "lambda_gb_second_arm64": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "http_api_request": 1.00 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    "eventbridge_event": 1.00 / 1e6,  # per 64 KB chunk of a PutEvents entry
    "eventbridge_archived_gb": 0.10,
    "scheduler_invocation": 1.00 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "sqs_fifo_request": 0.50 / 1e6,
    "logs_ingested_gb": 0.50,
    "ses_mail": 0.10 / 1000,
    # S3 Standard: a PUT (or POST, COPY, LIST), a GET, and the bytes sent to the internet. An
    # object's event reaches EventBridge's default bus free (an AWS service's event).
    "s3_put_request": 0.005 / 1000,
    "s3_get_request": 0.0004 / 1000,
    "s3_transfer_out_gb": 0.09,
    # The distribution in front of the web client and its /api/* (PriceClass_100: North
    # America and Europe): each HTTPS request, and the bytes it sends the browser.
    "cloudfront_https_request": 0.0100 / 10000,
    "cloudfront_transfer_gb": 0.085,
    # At rest, a month:
    "alarm_metric_month": 0.10,
    "dashboard_month": 3.00,
    "kms_key_month": 1.00,
    "secret_month": 0.40,
}
GB = 1024**3

# The samples' ticket file, as S3's event of its upload declares it (a PDF of about 48 KB).
SAMPLE_FILE_BYTES = json.loads(pathlib.Path("events/files-check/attach-upload.json").read_text())["detail"]["object"]["size"]

# What each user action runs: its functions with the sample that stands for it, or a
# schedule firing. What follows from the events its changes store is added from the samples'
# recorded outbox writes and the template's rules (`follow_ups`).
ACTIONS = {
    "sign up": [("users-signup", "201-new-account.json")],
    "sign in": [("users-signin", "200-valid-credentials.json")],
    "list tickets": [("tickets-list", "200-available.json")],
    "create a ticket": [("tickets-create", "201-new-ticket.json")],
    "order": [("orders-create", "201-new-order.json")],
    # Stripe sends payment_intent.succeeded for a payment confirmed in one step, too: the
    # webhook finds the payment recorded.
    "pay in one step": [("payments-create", "201-pay-with-card.json"), ("payments-webhook", "200-payment-already-recorded.json")],
    "pay by webhook": [("payments-create", "201-start-payment.json"), ("payments-webhook", "200-payment-succeeded.json")],
    # Stripe.js confirms in the browser, which then asks the API to record the payment.
    "pay with Stripe.js": [
        ("payments-create", "201-start-payment.json"),
        ("payments-create", "201-record-browser-payment.json"),
        ("payments-webhook", "200-payment-already-recorded.json"),
    ],
    "expire": ["schedule", ("expiration-fire", "expire-order.json")],
    "cancel": [("orders-cancel", "204-own-order.json")],
    "open a ticket": [("tickets-get", "200-existing.json")],
    "read the order": [("orders-get", "200-own-order.json")],
    "expiry of a complete order": ["schedule", ("expiration-fire", "complete-order.json")],
    # A row of its own: one mail, from the outbound queue to SES.
    "mail a notice": [("mail-send", "receipt.json"), "mail"],
    # Rows of their own, once a sale: its payout released at its time (a schedule firing, the
    # transfer to the seller's account, payout.paid telling them); the seller's ticket file
    # (the upload's address, the browser's PUT to S3, S3's event invoking the check); the
    # buyer's download (the address, the browser's GET from S3 and its bytes).
    "pay out a sale": ["schedule", ("payouts-release", "transfer-payout.json")],
    "attach a ticket's file": [
        ("tickets-file-upload", "201-pdf.json"),
        ("s3 put", SAMPLE_FILE_BYTES),
        ("files-check", "attach-upload.json"),
    ],
    "download a bought ticket": [("orders-file-get", "303-delivered.json"), ("s3 get", SAMPLE_FILE_BYTES)],
}
# The sample that stands for a consumer's message of an event type (the consumer's only
# sample where there is no sample of that type).
CONSUMER_SAMPLES = {
    ("expiration-schedule", "order.created"): "order-created.json",
    ("expiration-schedule", "order.cancelled"): "order-cancelled.json",
    ("payouts-schedule", "order.completed"): "order-completed.json",
    ("notifications-consumer", "order.created"): "order-created.json",
    ("notifications-consumer", "order.completed"): "order-completed.json",
    ("notifications-consumer", "payout.paid"): "payout-paid.json",
}
RELAY = ("outbox-relay", "order-created.json")
# A completed purchase as the web client makes it, with Stripe.js (a deployment's payment
# mode): its API requests are recorded by a browser journey in bench/purchase-requests.json
# (test_a_purchase_with_stripe_js_asks_the_api_what_the_cost_model_counts), each priced with
# the sample of its function below; Stripe's webhook completes the order; the reservation's
# schedule fires on the complete order.
PURCHASE_REQUESTS = "bench/purchase-requests.json"
PURCHASE_SAMPLES = {
    "client-config": "200-config.json",
    "users-currentuser": "200-session-cookie.json",
    "tickets-list": "200-available.json",
    "tickets-get": "200-existing.json",
    "orders-create": "201-new-order.json",
    "orders-get": "200-own-order.json",
    "payments-list": "200-own-order.json",
    "expiration-get": "200-own-order.json",
    "payments-create": "201-start-payment.json",
}
# Once the payment is started, the client's next `POST /api/payments` (after Stripe.js
# confirmed it) records it paid and answers with the complete order's page. A read of the
# order after it is of the complete order (its page reads the ticket's file too).
PURCHASE_SAMPLES_PAID = {"orders-get": "200-complete-order.json", "payments-create": "201-record-browser-payment.json"}
# Stripe's webhook then finds the payment recorded; the reservation's schedule fires on the
# complete order.
PURCHASE_AFTER = [("payments-webhook", "200-payment-already-recorded.json"), "schedule", ("expiration-fire", "complete-order.json")]
GOAL = 30.00


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.ceil(len(ordered) * p)) - 1)]


def norm(path):
    """A route's path with its parameters unnamed: /api/orders/{}."""
    return re.sub(r"\{[^}]*\}", "{}", path)


class Template:
    """What template.yaml says of the cost: each function's memory size, the HTTP API's routes,
    the bus's rules and the consumers of their queues, and what costs at rest."""

    def __init__(self):
        with open("template.yaml") as text:
            template = yaml.load(text, Loader=yaml.BaseLoader)  # tolerates !Ref and friends
        resources = template["Resources"]
        default = int(template["Globals"]["Function"].get("MemorySize", 128))
        self.sizes, self.http, self.routes, consumers = {}, set(), {}, {}
        for resource in resources.values():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
            self.sizes[binary] = int(resource["Properties"].get("MemorySize", default))
            for event in resource["Properties"].get("Events", {}).values():
                if event.get("Type") == "HttpApi":
                    self.http.add(binary)
                    properties = event.get("Properties", {})
                    if "Path" in properties:  # not the catch-all
                        self.routes[f"{properties['Method'].upper()} {norm(properties['Path'])}"] = binary
                elif event.get("Type") == "SQS":
                    consumers[event["Properties"]["Queue"].split(".")[0]] = binary
        # The paths the distribution keeps at its edge (a cache behaviour of the API's origin
        # with Managed-CachingOptimized): a request there is CloudFront's answer.
        distribution = next((r for r in resources.values() if r.get("Type") == "AWS::CloudFront::Distribution"), None)
        behaviors = distribution["Properties"]["DistributionConfig"].get("CacheBehaviors", []) if distribution else []
        self.edge_kept = {b["PathPattern"] for b in behaviors
                          if b["TargetOriginId"] == "api" and b["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"}
        # Each rule: the event sources and types it matches, and the function behind its queue.
        self.rules = []
        for resource in resources.values():
            if resource.get("Type") == "AWS::Events::Rule":
                pattern = resource["Properties"]["EventPattern"]
                for target in resource["Properties"]["Targets"]:
                    queue = target["Arn"].split(".")[0]
                    if queue in consumers:
                        self.rules.append((set(pattern.get("detail-type", [])), consumers[queue]))
        # At rest: an alarm bills each metric it reads (a metric math alarm, several).
        alarms = [r for r in resources.values() if r.get("Type") == "AWS::CloudWatch::Alarm"]
        self.alarm_metrics = sum(
            sum(1 for m in r["Properties"]["Metrics"] if "MetricStat" in m) if "Metrics" in r["Properties"] else 1
            for r in alarms
        )
        count = lambda kind: sum(1 for r in resources.values() if r.get("Type") == kind)  # noqa: E731
        self.dashboards = count("AWS::CloudWatch::Dashboard")
        self.keys = count("AWS::KMS::Key")
        self.secrets = count("AWS::SecretsManager::Secret")
        api = next(r for r in resources.values() if r.get("Type") == "AWS::Serverless::HttpApi")
        # An access log line: the format with each variable about 20 characters long.
        form = api["Properties"]["AccessLogSettings"]["Format"]
        self.access_log_bytes = len(re.sub(r"\$context\.[A-Za-z.]+", "x" * 20, form))

    def consumers_of(self, event_type):
        return [function for types, function in self.rules if event_type in types]

    def at_rest(self):
        """What the stack costs a month with no traffic, by item."""
        return [
            (f"{self.alarm_metrics} alarm metrics", self.alarm_metrics * PRICES["alarm_metric_month"]),
            (f"{self.dashboards} dashboard", self.dashboards * PRICES["dashboard_month"]),
            (f"{self.keys} KMS key", self.keys * PRICES["kms_key_month"]),
            (f"{self.secrets} secret", self.secrets * PRICES["secret_month"]),
        ]


def event_bytes(event_type):
    """An event as the bus carries it (and archives it): the bus sample's size."""
    path = os.path.join("events", "bus", f"{event_type}.json")
    return os.path.getsize(path) if os.path.exists(path) else 1024


# The password hashes a function's benchmarked invocation computes, on purpose (read from the
# code: sign-up hashes the new password, sign-in verifies one, a reset's confirmation hashes
# the new one); their time is measured (bench-invocations' `hashing` row).
HASHES = {"users-signup": 1, "users-signin": 1, "users-password-reset-confirm": 1}


def net_cold(name, row, hash_ms):
    """The cold invocation's median without the time spent hashing a password on purpose and
    waiting for Stripe's answers (each run's own wait, as the recording proxy in front of localstripe timed it)."""
    stripe = row.get("stripe_ms") or [0.0] * len(row["ms"])
    return statistics.median(ms - waited - HASHES.get(name, 0) * hash_ms for ms, waited in zip(row["ms"], stripe))


def function_table(init, cold, warm, hash_ms):
    """Per function: size, init, cold and warm latency, resident memory."""
    hello = statistics.median(init["hello-world"]["init_ms"])
    one_call = statistics.median(cold["one-call"]["ms"])
    print(f"Measured {os.popen('date -u +%Y-%m-%d').read().strip()} on {platform.machine()}, {os.cpu_count()} cores"
          f" ({platform.processor() or platform.platform()}); host build, release profile.")
    print(f"init: spawn to the first `next` on a Runtime API emulator, {len(init['hello-world']['init_ms'])} interleaved"
          " runs; cold: spawn to the response of the first invocation, its AWS calls over TLS to moto;"
          " net: the cold invocation without its password hashes (one takes"
          f" {hash_ms:.1f} ms) and its wait for Stripe's answers (localstripe);"
          " warm: later invocations in the same process, through the emulator, against moto.\n")
    header = (f"{'function':<24}{'size MB':>8}{'init ms':>9}{'p90':>7}{'x hello':>8}{'cold ms':>9}{'x 1-call':>9}"
              f"{'net ms':>8}{'x 1-call':>9}{'warm p50':>9}{'p99':>7}{'RSS MB':>7}")
    print(header)
    print("-" * len(header))
    for name, row in init.items():
        runs = row["init_ms"]
        line = (f"{name:<24}{row['size'] / 1e6:>8.2f}{statistics.median(runs):>9.2f}{percentile(runs, 0.9):>7.2f}"
                f"{statistics.median(runs) / hello:>8.2f}")
        if name in cold:
            c, net = statistics.median(cold[name]["ms"]), net_cold(name, cold[name], hash_ms)
            line += f"{c:>9.1f}{c / one_call:>9.2f}{net:>8.1f}{net / one_call:>9.2f}"
        else:
            line += f"{'':>9}{'':>9}{'':>8}{'':>9}"
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


def main():
    init = None
    if sys.argv[1] != "-":  # "-": the cost tables only
        with open(sys.argv[1]) as text:
            init = json.load(text)
    cold, warm, calls, local, hash_ms = {}, {}, {}, [], 0.0
    with open(sys.argv[2]) as lines:
        for line in lines:
            row = json.loads(line)
            if row["kind"] == "cold":
                cold[row["function"]] = row
            elif row["kind"] == "warm":
                warm[row["function"]] = row
            elif row["kind"] == "hashing":
                hash_ms = statistics.median(row["ms"])
            elif row["kind"] == "calls":
                calls[(row["function"], row["sample"])] = row
    if len(sys.argv) > 3 and os.path.exists(sys.argv[3]):
        with open(sys.argv[3]) as lines:
            local = [json.loads(line) for line in lines]

    if init is not None:
        function_table(init, cold, warm, hash_ms)

    if local:
        print(f"{'in process, embedded store':<34}{'p50 ms':>9}{'p99 ms':>9}")
        for row in local:
            print(f"{row['route']:<34}{percentile(row['ms'], 0.5):>9.3f}{percentile(row['ms'], 0.99):>9.3f}")
        print()

    template = Template()
    costs = Costs(template, calls, warm)
    print(f"{'user action':<28}{'Lambda':>7}{'HTTP API':>9}{'CDN':>5}{'AWS calls':>10}{'RRU':>6}{'WRU':>6}{'index':>6}"
          f"{'events':>7}{'SQS':>5}{'sched':>6}{'logs KB':>8}{'$ per million':>15}")
    for action, steps in ACTIONS.items():
        costs.row(action, costs.of(steps))
    print("(WRU: the tables' write units by item size, transactions twice; index: the writes of the global secondary"
          " indexes the items are projected into; events: published by the relay, each to the rules' consumers and the"
          " archive; SQS: send, receive and delete of each message; logs: the functions' lines and the access log's)\n")

    with open(PURCHASE_REQUESTS) as text:
        recorded = json.load(text)
    polls = recorded["polls"]
    print(f"A purchase as the web client makes it ({PURCHASE_REQUESTS}, recorded by a browser journey"
          + (f"; the order polled {polls} times while Stripe's webhook is on its way):" if polls else "):"))
    purchase = Totals()
    steps = []
    paid = False
    for request in recorded["requests"]:
        method, path = request.split(" ", 1)
        function = template.routes.get(f"{method} {norm(path)}")
        if function is None:
            raise SystemExit(f"{request}: no route of template.yaml")
        samples = {**PURCHASE_SAMPLES, **PURCHASE_SAMPLES_PAID} if paid else PURCHASE_SAMPLES
        part = costs.through_cdn(function, samples[function])
        if path in template.edge_kept:  # answered at the edge (a miss an edge location's every few minutes is not counted)
            part = part[:1]
            request += " (edge)"
        steps.append((request, part))
        paid = paid or function == "payments-create"
    if polls:
        steps.append((f"{polls} polls of the order", costs.through_cdn("orders-get", PURCHASE_SAMPLES["orders-get"]) * polls))
    # The page itself: the web client's files, each a request to the distribution, which
    # sends them compressed.
    files = recorded.get("files", [])
    sizes = [len(gzip.compress(pathlib.Path("web", path.strip("/") or "index.html").read_bytes())) for path in files]
    steps.insert(0, (f"the page ({len(files)} files)", [("cdn", size) for size in sizes]))
    steps.append(("webhook, schedule fires", PURCHASE_AFTER))
    for label, part in steps:
        totals = costs.of(part)
        costs.row(f"  {label}", totals)
        purchase.add(totals)
    costs.row("one purchase", purchase)
    usd = purchase.usd * 1e6
    print(f"\nOne million completed purchases: ${usd:,.2f} (goal: at most ${GOAL:.2f}; {'met' if usd <= GOAL else 'not met'})."
          " Lambda at the warm p50 durations measured above (rounded up to the ms; 10 ms where not measured) and the"
          " template's memory sizes; DynamoDB on demand by item size, with every index write; EventBridge events,"
          " their archive and the rules' SQS deliveries; CloudWatch Logs ingestion of what the functions log and of the"
          " access log; the web client's requests through CloudFront (the page's files, compressed, and each /api/"
          " request with its answer's bytes); the mail a purchase sends is the row \"mail a notice\" per mail; a sale's payout, its ticket's file"
          " and the buyer's download are rows of their own (S3 by request and bytes sent)."
          " No free tier.")
    print("\nAt rest, a month (nothing else costs without traffic: DynamoDB, SQS, Lambda and the HTTP API on demand):")
    rest = template.at_rest()
    for item, usd in rest:
        print(f"  {item:<30}{usd:>8.2f}")
    print(f"  {'in all':<30}{sum(usd for _, usd in rest):>8.2f}")


class Totals:
    def __init__(self):
        self.requests, self.reads, self.writes, self.index, self.log_bytes, self.usd = {}, 0.0, 0.0, 0.0, 0, 0.0

    def count(self, kind, n=1):
        self.requests[kind] = self.requests.get(kind, 0) + n

    def add(self, other):
        for kind, n in other.requests.items():
            self.count(kind, n)
        self.reads += other.reads
        self.writes += other.writes
        self.index += other.index
        self.log_bytes += other.log_bytes
        self.usd += other.usd


class Costs:
    def __init__(self, template, calls, warm):
        self.template, self.calls, self.warm = template, calls, warm

    def through_cdn(self, function, sample):
        """A web client's request of `function`: through the distribution (/api/*), whose
        answer it sends on (its body's bytes, uncompressed), to the HTTP API (`invocation`
        says when a sample was not recorded)."""
        answered = self.calls.get((function, sample), {}).get("response_bytes", 0)
        return [("cdn", answered), (function, sample)]

    def row(self, label, t):
        r = t.requests
        print(f"{label:<28}{r.get('lambda', 0):>7}{r.get('http api', 0):>9}{r.get('cdn', 0):>5}{r.get('aws calls', 0):>10}"
              f"{t.reads:>6.1f}{t.writes:>6.0f}{t.index:>6.0f}{r.get('eventbridge events', 0):>7}{r.get('sqs', 0):>5}"
              f"{r.get('scheduler', 0):>6}{t.log_bytes / 1024:>8.2f}{t.usd * 1e6:>15.2f}")

    def of(self, steps):
        totals = Totals()
        for step in steps:
            if step == "schedule":
                totals.count("scheduler")
                totals.usd += PRICES["scheduler_invocation"]
            elif step == "mail":
                totals.count("mail")
                totals.usd += PRICES["ses_mail"]
            elif step[0] == "cdn":  # ("cdn", bytes): a request through the distribution
                totals.count("cdn")
                totals.usd += PRICES["cloudfront_https_request"] + step[1] / GB * PRICES["cloudfront_transfer_gb"]
            elif step[0] == "s3 put":  # ("s3 put", bytes): a browser's upload (bytes in are free)
                totals.count("aws calls")
                totals.usd += PRICES["s3_put_request"]
            elif step[0] == "s3 get":  # ("s3 get", bytes): a browser's download
                totals.count("aws calls")
                totals.usd += PRICES["s3_get_request"] + step[1] / GB * PRICES["s3_transfer_out_gb"]
            else:
                self.invocation(totals, *step)
        return totals

    def run(self, totals, function):
        """A Lambda invocation: the request and its duration at the warm p50 (10 ms unmeasured)."""
        totals.count("lambda")
        duration = math.ceil(statistics.median(self.warm[function]["ms"])) if function in self.warm else 10
        totals.usd += PRICES["lambda_request"]
        totals.usd += duration / 1000 * self.template.sizes.get(function, 128) / 1024 * PRICES["lambda_gb_second_arm64"]

    def invocation(self, totals, function, sample, depth=0):
        """One invocation of `function` on `sample`, and what its events set off."""
        row = self.calls.get((function, sample))
        if row is None:
            raise SystemExit(f"no recorded calls for {function} {sample}")
        self.run(totals, function)
        log_bytes = row["log_bytes"]
        if function in self.template.http:
            totals.count("http api")
            totals.usd += PRICES["http_api_request"]
            log_bytes += self.template.access_log_bytes
        totals.log_bytes += log_bytes
        totals.usd += log_bytes / GB * PRICES["logs_ingested_gb"]
        for call in row["calls"]:
            totals.count("aws calls")
            totals.reads += call["reads"]
            totals.writes += call["writes"]
            totals.index += call["index_writes"]
            totals.usd += call["reads"] * PRICES["dynamodb_read_unit"]
            totals.usd += (call["writes"] + call["index_writes"]) * PRICES["dynamodb_write_unit"]
            if call["operation"].startswith("sqs:"):
                totals.usd += call["entries"] * PRICES["sqs_fifo_request"]
            elif call["operation"] == "s3:PutObject":
                totals.usd += PRICES["s3_put_request"]
            elif call["operation"] == "s3:GetObject":  # a function's read of an object (its first bytes)
                totals.usd += PRICES["s3_get_request"]
        if row["events"] and depth < 2:
            self.published(totals, row["events"], depth)

    def published(self, totals, events, depth):
        """The relay publishes a change's events that a rule of the template matches (one
        invocation, one PutEvents; the others stay in the outbox); the bus archives each and
        delivers it to every rule's queue, whose consumer runs once a message."""
        self.run(totals, RELAY[0])
        routed = [(event_type, self.template.consumers_of(event_type)) for event_type in events]
        routed = [(event_type, consumers) for event_type, consumers in routed if consumers]
        if routed:
            totals.count("aws calls")  # PutEvents
        for event_type, consumers in routed:
            totals.count("eventbridge events")
            totals.usd += PRICES["eventbridge_event"] + event_bytes(event_type) / GB * PRICES["eventbridge_archived_gb"]
            for consumer in consumers:
                totals.count("sqs", 3)
                totals.usd += 3 * PRICES["sqs_request"]
                sample = CONSUMER_SAMPLES.get((consumer, event_type))
                if sample is None:
                    sample = next(s for (f, s) in self.calls if f == consumer)
                self.invocation(totals, consumer, sample, depth + 1)


if __name__ == "__main__":
    main()
