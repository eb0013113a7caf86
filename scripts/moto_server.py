"""Runs moto server for the tests, with DynamoDB's isolation.

    python scripts/moto_server.py -H 127.0.0.1 -p PORT

moto applies a TransactWriteItems item by item and, when a condition fails, restores the
tables as they were when the transaction began: with requests served on several threads,
that restore can undo another request's committed write, so two racing conditional
transactions may both appear to win. DynamoDB serializes them. Here every DynamoDB backend
call holds one lock, which gives moto the same isolation; nothing else changes.
"""

import functools
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

_lock = threading.RLock()


def _serialized(method):
    @functools.wraps(method)
    def call(*args, **kwargs):
        with _lock:
            return method(*args, **kwargs)

    return call


for _name, _member in list(vars(DynamoDBBackend).items()):
    if callable(_member) and not _name.startswith("_"):
        setattr(DynamoDBBackend, _name, _serialized(_member))

if __name__ == "__main__":
    main(sys.argv[1:])
