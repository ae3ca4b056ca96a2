// POST /cockpit/sample-request: the cockpit's "Send a request" button. Server-side, the way an app
// does it: a client-credentials token from the token service (the subaccount's first connectivity
// client; its secret never reaches the page), then a GET through the real HTTP forward proxy with
// the chosen location ID. The page sees only the status and the start of the answer; the request
// shows up in the live traffic like any other.
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../shared/config-schema.js';

export const SAMPLE_PATH = '/cockpit/sample-request';
const MAX_BODY_SHOWN = 400;

export interface SampleRequestOptions {
  config: () => Config;
  tokenServiceUrl: () => string;
  /** Where the HTTP forward proxy is reached from this process. */
  forwardProxy: () => { host: string; port: number };
}

interface SampleBody { subaccount: string; locationId: string; path?: string }

export function registerSampleRequest(app: FastifyInstance, opts: SampleRequestOptions): void {
  app.post<{ Body: SampleBody }>(SAMPLE_PATH, {
    schema: {
      body: {
        type: 'object', required: ['subaccount', 'locationId'], additionalProperties: false,
        properties: {
          subaccount: { type: 'string', minLength: 1, maxLength: 200 },
          locationId: { type: 'string', maxLength: 189 },
          path: { type: 'string', pattern: '^/[^\\s]*$', maxLength: 2000 },
        },
      },
    },
  }, async (req, reply) => {
    const { subaccount, locationId } = req.body;
    const config = opts.config();
    const s = config.subaccounts.find((x) => x.subaccount === subaccount);
    const client = s?.clients.find((c) => c.service === 'connectivity');
    if (s === undefined || client === undefined) {
      return reply.code(404).send({ error: `subaccount ${subaccount} has no connectivity client in the config` });
    }
    const target = targetFor(config, subaccount, locationId, req.body.path);
    const token = await fetchToken(opts.tokenServiceUrl(), client.clientid, client.clientsecret);
    const answer = await throughProxy(opts.forwardProxy(), target, token, locationId);
    return { locationId, target, status: answer.status, body: answer.body };
  });
}

/** The first HTTP system mapping a connector has for (subaccount, location), else virtualhost:3333. */
function targetFor(config: Config, subaccount: string, locationId: string, path: string | undefined): string {
  for (const k of config.connectors) {
    for (const s of k.subaccounts) {
      if (s.subaccount !== subaccount || s.locationID !== locationId) continue;
      const m = s.systemMappings.find((x) => x.protocol === 'HTTP' || x.protocol === 'HTTPS');
      if (m) return `http://${m.virtualHost}:${m.virtualPort}${path ?? m.resources[0]?.id ?? '/'}`;
    }
  }
  return `http://virtualhost:3333${path ?? '/'}`;
}

async function fetchToken(tokenServiceUrl: string, clientid: string, clientsecret: string): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(clientid)}:${encodeURIComponent(clientsecret)}`).toString('base64');
  const res = await fetch(`${tokenServiceUrl}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: 'grant_type=client_credentials',
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`the token service answered ${res.status}`);
  return (JSON.parse(text) as { access_token: string }).access_token;
}

function throughProxy(proxy: { host: string; port: number }, url: string, token: string, locationId: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.host, port: proxy.port, method: 'GET', path: url, agent: false,
      headers: { 'proxy-authorization': `Bearer ${token}`, 'sap-connectivity-scc-location_id': locationId },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < MAX_BODY_SHOWN) body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.slice(0, MAX_BODY_SHOWN) }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('the proxy did not answer within 30 s')));
    req.on('error', reject);
    req.end();
  });
}
