# Sourced by scripts/test and scripts/invoke: the project-local virtualenv (.venv, pinned
# in requirements-dev.txt) and the fake AWS and Stripe servers, each on a free port of
# 127.0.0.1 for the length of the calling script.

venv=.venv

# ensure_venv: installs the test tools into .venv when missing or out of date.
ensure_venv() {
    if [ ! -f "$venv/.installed" ] || [ requirements-dev.txt -nt "$venv/.installed" ]; then
        echo "== installing test tools into $venv" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-dev.txt
        touch "$venv/.installed"
    fi
}

# ensure_sam: the AWS SAM CLI (pinned in requirements-deploy.txt) in .venv-deploy, for
# `sam validate --lint`; cargo-lambda, the other deploy tool, is installed only to deploy.
ensure_sam() {
    local marker=.venv-deploy/.sam-installed
    if [ ! -f "$marker" ] || [ requirements-deploy.txt -nt "$marker" ]; then
        echo "== installing the AWS SAM CLI into .venv-deploy" >&2
        python3 -m venv .venv-deploy
        grep '^aws-sam-cli==' requirements-deploy.txt |
            .venv-deploy/bin/pip install --quiet --disable-pip-version-check -r /dev/stdin
        touch "$marker"
    fi
}

# build_bins: every binary of the workspace, debug, as scripts/test builds them (the same
# features, so nothing is built twice); sets $target_dir, where cargo puts its output.
build_bins() {
    cargo build --workspace --bins --locked --quiet
    target_dir=$(cargo metadata --format-version 1 --no-deps | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
}

logs=$(mktemp -d)
servers=()
trap 'for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done' EXIT

# start NAME COMMAND...: runs a server on a free port of 127.0.0.1 (the command's last
# argument is the port) and waits until it accepts connections; sets $port.
start() {
    local name=$1
    shift
    port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$@" "$port" >"$logs/$name.log" 2>&1 &
    local pid=$!
    servers+=("$pid")
    for _ in $(seq 150); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return; fi
        if ! kill -0 "$pid" 2>/dev/null; then cat "$logs/$name.log" >&2; echo "$name did not start" >&2; exit 1; fi
        sleep 0.1
    done
    echo "$name did not start in time" >&2
    exit 1
}

# start_fakes: moto server (MOTO_ENDPOINT) and localstripe (LOCALSTRIPE_ENDPOINT), unless
# already given. moto runs through scripts/moto_server.py, which gives its DynamoDB
# transactions DynamoDB's isolation.
start_fakes() {
    if [ -z "${MOTO_ENDPOINT:-}" ]; then
        start moto "$venv/bin/python" scripts/moto_server.py -H 127.0.0.1 -p
        export MOTO_ENDPOINT="http://127.0.0.1:$port"
    fi
    echo "== moto server on $MOTO_ENDPOINT" >&2
    if [ -z "${LOCALSTRIPE_ENDPOINT:-}" ]; then
        start localstripe "$venv/bin/python" scripts/localstripe_server.py
        export LOCALSTRIPE_ENDPOINT="http://127.0.0.1:$port"
    fi
    echo "== localstripe on $LOCALSTRIPE_ENDPOINT" >&2
}
