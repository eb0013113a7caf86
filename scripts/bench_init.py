"""Init-time benchmark for Lambda binaries, run by scripts/bench.

For each binary: its size, and the time from spawning it to its first
`GET /2018-06-01/runtime/invocation/next` on a Runtime API emulator bound to
127.0.0.1, plus its resident memory at that moment. Runs are interleaved across
binaries so machine noise spreads evenly; medians are reported.
"""

import argparse
import json
import http.server
import os
import statistics
import subprocess
import threading
import time

NEXT = "/2018-06-01/runtime/invocation/next"


class Emulator(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.arrival = 0.0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == NEXT and not self.server.arrived.is_set():
            self.server.arrival = time.perf_counter()
            self.server.arrived.set()
        # Hold the request open: the process is measured and stopped meanwhile.
        self.server.release.wait(10)
        self.send_response(410)
        self.end_headers()

    def log_message(self, *args):
        pass


def environment(port, name, function_env):
    """What Lambda gives a function: its runtime variables, and the variables
    `template.yaml` sets for it (events/sam-local-env.json, which a test keeps equal)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        # The samples' secrets are committed, so public: only a local run takes them.
        "AWS_SAM_LOCAL": "true",
    }
    env.update(function_env.get(name, {}))
    return env


def logical_id(binary):
    """`users-signup` is `UsersSignupFunction` in template.yaml."""
    return "".join(word.capitalize() for word in binary.split("-")) + "Function"


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(path, function_env):
    server = Emulator()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    env = environment(server.server_address[1], os.path.basename(path), function_env)
    start = time.perf_counter()
    process = subprocess.Popen([path], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not server.arrived.wait(10):
            raise SystemExit(f"{path} never asked for work (exit code {process.poll()})")
        elapsed_ms = (server.arrival - start) * 1000
        rss = rss_kib(process.pid)
    finally:
        process.kill()
        process.wait()
        server.release.set()
        server.shutdown()
        server.server_close()
    return elapsed_ms, rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--env", default="events/sam-local-env.json")
    parser.add_argument("--json", help="write the runs to this file (for scripts/bench_report.py) instead of a table")
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()

    with open(args.env) as env_file:
        by_id = json.load(env_file)
    function_env = {name: by_id.get(logical_id(name), {}) for name in args.binaries}
    function_env["one-call"] = {"USERS_TABLE": "bench"}  # bench/one-call, not in the template
    paths = {name: os.path.join(args.dir, name) for name in args.binaries}
    timings = {name: [] for name in args.binaries}
    memory = {name: [] for name in args.binaries}
    for name, path in paths.items():  # warm the page cache once
        measure(path, function_env)
    for _ in range(args.runs):
        for name, path in paths.items():
            elapsed, rss = measure(path, function_env)
            timings[name].append(elapsed)
            memory[name].append(rss)

    if args.json:
        with open(args.json, "w") as out:
            json.dump({name: {"size": os.path.getsize(path), "init_ms": timings[name], "rss_kib": memory[name]}
                       for name, path in paths.items()}, out)
        return
    print(f"{'binary':<24} {'size (MB)':>10} {'init median (ms)':>17} {'init p90 (ms)':>14} {'RSS at init (MB)':>17}")
    for name, path in paths.items():
        runs = sorted(timings[name])
        p90 = runs[min(len(runs) - 1, int(len(runs) * 0.9))]
        print(
            f"{name:<24} {os.path.getsize(path) / 1e6:>10.2f} {statistics.median(runs):>17.2f} {p90:>14.2f}"
            f" {statistics.median(memory[name]) / 1024:>17.1f}"
        )
    print(f"({args.runs} interleaved runs per binary on {os.cpu_count()} cores; host build, not arm64)")


if __name__ == "__main__":
    main()
