"""Runs moto server for the tests, with DynamoDB's isolation.

    python scripts/moto_server.py -H 127.0.0.1 -p PORT

moto applies a TransactWriteItems item by item and, when a condition fails, restores the
tables as they were when the transaction began: with requests served on several threads,
that restore can undo another request's committed write, so two racing conditional
transactions may both appear to win. DynamoDB serializes them. Here every DynamoDB backend
call holds one lock, which gives moto the same isolation.

moto's state dump, `/moto-api/data.json` (where the tests read the mail SES sent), walks every
model of every service and fails as a whole (500) when an attribute it reads is changed by
another request meanwhile, which the parallel suite does all the time. Here it skips such an
attribute, and `?service=NAME` dumps that service's models alone.
"""

import functools
import json
import sys
import threading
import urllib.parse

from moto.core.model_instances import model_data
from moto.dynamodb.models import DynamoDBBackend
from moto.moto_api._internal import urls as moto_api_urls
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


def state(request, full_url, headers):
    """moto's state as `/moto-api/data.json` dumps it: per service and model, each instance's
    public attributes that are JSON (copied as read); `?service=` names the services to dump."""
    wanted = urllib.parse.parse_qs(urllib.parse.urlparse(full_url).query).get("service")
    results = {}
    for service, models in sorted(list(model_data.items())):
        if wanted and service not in wanted:
            continue
        results[service] = {}
        for name, model in sorted(list(models.items())):
            instances = []
            for instance in list(model.instances_tracked):
                fields = {}
                for attr in dir(instance):
                    if attr.startswith("_"):
                        continue
                    try:
                        fields[attr] = json.loads(json.dumps(getattr(instance, attr)))
                    except Exception:  # not JSON, or changing under another request
                        continue
                instances.append(fields)
            results[service][name] = instances
    return 200, {"Content-Type": "application/json"}, json.dumps(results)


moto_api_urls.url_paths["{0}/moto-api/data.json"] = state

if __name__ == "__main__":
    main(sys.argv[1:])
