"""Fuzzes the running API against its contract (scripts/fuzz).

Signs up a seller, who lists a few tickets, and a buyer, whose session authenticates the
run; then runs schemathesis with tests/fuzz/schemathesis.toml on the document the API
serves, and prints what it did: operations, requests, checks, failures. Exits non-zero on
any failure, or when fewer than MIN_REQUESTS requests were made.

    python tests/fuzz/run.py http://127.0.0.1:<port>

FUZZ_CONFIG names another configuration file (for example one without the hooks, to see what
a fuzzer that knows only the document finds).
"""

import json
import os
import subprocess
import sys
import tempfile

MIN_REQUESTS = 1000


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from api_client import call, signed_up as session  # noqa: E402  (tests/api_client.py)


def main():
    base = sys.argv[1].rstrip("/")
    seller = session(base, "seller@example.com")
    for n in range(5):
        call(base, "POST", "/api/tickets", {"title": f"Concert {n}", "price": 45 + n}, seller)
    buyer = session(base, "buyer@example.com")

    report = tempfile.mkdtemp(prefix="schemathesis-")
    events = os.path.join(report, "events.ndjson")
    command = [
        os.path.join(os.path.dirname(sys.executable), "st"),
        "--config-file", os.environ.get("FUZZ_CONFIG", "tests/fuzz/schemathesis.toml"),
        "run", f"{base}/api/openapi.json",
        "--header", f"Authorization: Bearer {buyer}",
        "--report", "ndjson", "--report-ndjson-path", events,
        "--no-color",
    ]
    outcome = subprocess.run(command)

    requests = 0
    with open(events) as lines:
        for line in lines:
            event = json.loads(line)
            for key in ("ScenarioFinished",):
                finished = event.get(key)
                if finished:
                    for case in (finished.get("recorder") or {}).get("interactions", {}).values():
                        requests += 1 if case.get("response") or case.get("request") else 0
    print(f"== schemathesis: {requests} requests made (at least {MIN_REQUESTS} expected)")
    if outcome.returncode != 0:
        sys.exit(outcome.returncode)
    if requests < MIN_REQUESTS:
        sys.exit(f"only {requests} requests")


if __name__ == "__main__":
    main()
