// The bulk user sync with the official Genesys Cloud JavaScript SDK,
// pointed at a ratelab gateway the documented way (setGateway). The SDK has
// no retry of its own, so this code retries 429s: it honours a real
// Retry-After and backs off with jitter when the hint is 0 or missing.
//
//   cd examples/node && npm install && cd ../..
//   ratelab run --scenario seed-eu-identity -- node examples/node/sync.js
const platformClient = require('purecloud-platform-client-v2');

const base = new URL(process.env.RATELAB_BASE_URL);
const users = process.env.RATELAB_USER_IDS.split(',');
const updates = Number(process.env.SYNC_UPDATES || 40);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function withRetry(call) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (err.status !== 429 || attempt >= 12) throw err;
      const hint = Number((err.headers || {})['retry-after']);
      const wait = hint >= 1
        ? hint * 1000 * (1 + Math.random() * 0.2)
        : 250 + Math.random() * Math.min(30000, 500 * 2 ** attempt);
      console.log(`429 (Retry-After ${JSON.stringify((err.headers || {})['retry-after'])}): waiting ${(wait / 1000).toFixed(2)}s`);
      await sleep(wait);
    }
  }
}

async function main() {
  const client = platformClient.ApiClient.instance;
  client.setGateway({ host: base.hostname, protocol: base.protocol.replace(':', ''), port: Number(base.port) });
  await client.loginClientCredentialsGrant(process.env.GENESYS_CLIENT_ID, process.env.GENESYS_CLIENT_SECRET);
  const api = new platformClient.UsersApi();
  let ok = 0;
  for (let i = 0; i < updates; i++) {
    const id = users[i % users.length];
    const user = await withRetry(() => api.getUser(id));
    await withRetry(() => api.patchUser(id, { version: user.version, department: 'Support' }));
    ok++;
    await sleep(200);
  }
  console.log(`${ok}/${updates} users updated`);
}

main().catch((err) => {
  console.error('sync failed:', err.status || '', err.message || err);
  process.exit(1);
});
