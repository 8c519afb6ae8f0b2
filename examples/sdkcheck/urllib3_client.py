"""update-user (or get-user with --get) over the users ratelab run gives it,
one operation at a time, with urllib3 configured as the Genesys Python SDK's
rest.py does: a default Retry() allowed on every method. What ratelab's
sdk-python strategy models."""
import json
import os
import sys

import urllib3
from urllib3.util.retry import Retry

BASE = os.environ["RATELAB_BASE_URL"]
IDS = os.environ["RATELAB_USER_IDS"].split(",")
OPS = int(sys.argv[sys.argv.index("--ops") + 1]) if "--ops" in sys.argv else 20
GET_ONLY = "--get" in sys.argv

# The SDK's rest.py: Retry() with its defaults (total=10, no backoff,
# Retry-After respected), on every method, POST/PUT/PATCH included.
retries = Retry(allowed_methods=["GET", "HEAD", "DELETE", "POST", "PUT", "PATCH", "OPTIONS"])
http = urllib3.PoolManager(retries=retries)


def token():
    headers = urllib3.make_headers(basic_auth=os.environ["GENESYS_CLIENT_ID"] + ":" + os.environ["GENESYS_CLIENT_SECRET"])
    r = http.request("POST", BASE + "/oauth/token", fields={"grant_type": "client_credentials"}, headers=headers, encode_multipart=False)
    return json.loads(r.data)["access_token"]


AUTH = {"Authorization": "Bearer " + token(), "Content-Type": "application/json"}


def operation(i, uid):
    try:
        r = http.request("GET", f"{BASE}/api/v2/users/{uid}", headers=AUTH)
        if r.status != 200 or GET_ONLY:
            return r.status == 200
        body = json.dumps({"department": f"sdk-check-{i}", "version": json.loads(r.data)["version"]})
        r = http.request("PATCH", f"{BASE}/api/v2/users/{uid}", body=body, headers=AUTH)
        return r.status == 200
    except urllib3.exceptions.MaxRetryError:
        return False


ok = sum(operation(i, IDS[i % len(IDS)]) for i in range(OPS))
print(f"urllib3 {urllib3.__version__}: {ok}/{OPS} operations succeeded")
