"""The seed report's bulk user sync, fixed: a 429 whose Retry-After is 0 or
missing is not an instruction to retry now, so back off exponentially with
full jitter; a real Retry-After is honoured with a little jitter on top; and
the whole job slows down while it is being throttled, instead of every
retry arriving at once.

It passes ratelab's gate on the seed-eu-identity scenario:

    ratelab run --scenario seed-eu-identity -- python3 examples/python/fixed_sync.py
"""
import os
import random
import sys
import time

import requests

BASE = os.environ["RATELAB_BASE_URL"]
USERS = os.environ["RATELAB_USER_IDS"].split(",")
UPDATES = int(os.environ.get("SYNC_UPDATES", "60"))
rng = random.Random(1)


def get_token():
    r = requests.post(
        BASE + "/oauth/token",
        auth=(os.environ["GENESYS_CLIENT_ID"], os.environ["GENESYS_CLIENT_SECRET"]),
        data={"grant_type": "client_credentials"},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()["access_token"]


TOKEN = get_token()
session = requests.Session()
session.headers["Authorization"] = f"Bearer {TOKEN}"
pace = 0.2  # seconds between requests; grows while throttled


def retry_after(response):
    value = response.headers.get("Retry-After", "")
    if value.isdigit():
        return int(value)
    return 0


def update_user(user_id, payload, max_attempts=12):
    global pace
    for attempt in range(1, max_attempts + 1):
        response = session.put(f"{BASE}/api/v2/users/{user_id}", json=payload, timeout=10)
        if response.status_code != 429:
            pace = max(0.2, pace * 0.9)
            return response
        hint = retry_after(response)
        if hint >= 1:
            wait = hint * (1 + rng.uniform(0, 0.2))
        else:
            # 0 or missing: unknown, so back off with full jitter.
            wait = rng.uniform(0.25, min(30, 0.5 * 2**attempt))
        pace = min(2.0, pace * 1.5)
        print(f"429 (Retry-After {response.headers.get('Retry-After')!r}): waiting {wait:.2f}s")
        time.sleep(wait)
    return response


def main():
    ok = 0
    for i in range(UPDATES):
        user = USERS[i % len(USERS)]
        r = update_user(user, {"email": f"sync-{i}@example.com", "department": "Support"})
        ok += r.status_code == 200
        time.sleep(pace)
    print(f"{ok}/{UPDATES} users updated")
    return 0 if ok == UPDATES else 1


if __name__ == "__main__":
    sys.exit(main())
