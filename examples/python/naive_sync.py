"""The seed report's bulk user sync, as written: PUT each user, and on a 429
sleep exactly Retry-After (5 s when absent) and try again.

Against the seed-eu-identity scenario it fails ratelab's gate: Retry-After
is rounded down to 0, so it re-sends at once, again and again.

    ratelab run --scenario seed-eu-identity -- python3 examples/python/naive_sync.py
"""
import os
import sys
import time

import requests

BASE = os.environ["RATELAB_BASE_URL"]
USERS = os.environ["RATELAB_USER_IDS"].split(",")
UPDATES = int(os.environ.get("SYNC_UPDATES", "60"))


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


def update_user(user_id, payload, depth=0):
    url = f"{BASE}/api/v2/users/{user_id}"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    response = requests.put(url, headers=headers, json=payload, timeout=10)
    if response.status_code == 429 and depth < 50:
        retry_after = int(response.headers.get("Retry-After", 5))
        print(f"Hit rate limit. Waiting {retry_after}s...")
        time.sleep(retry_after)
        return update_user(user_id, payload, depth + 1)
    return response


def main():
    ok = 0
    for i in range(UPDATES):
        user = USERS[i % len(USERS)]
        started = time.monotonic()
        r = update_user(user, {"email": f"sync-{i}@example.com", "department": "Support"})
        ok += r.status_code == 200
        # The report's job runs at about 5 requests per second.
        time.sleep(max(0, 0.2 - (time.monotonic() - started)))
    print(f"{ok}/{UPDATES} users updated")
    return 0 if ok == UPDATES else 1


if __name__ == "__main__":
    sys.exit(main())
