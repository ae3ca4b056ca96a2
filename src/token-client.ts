// Gets an access token from a running token service, the way an app does (client credentials,
// HTTP Basic). Used by `scc-sim token` and by Simulator.token().
export async function fetchToken(tokenServiceUrl: string, clientid: string, clientsecret: string): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(clientid)}:${encodeURIComponent(clientsecret)}`).toString('base64');
  let res: Response;
  try {
    res = await fetch(`${tokenServiceUrl}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=client_credentials',
    });
  } catch (err) {
    throw new Error(`cannot reach the token service at ${tokenServiceUrl} (is the proxy service running?): ${(err as Error).cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (res.status !== 200) throw new Error(`token service answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { access_token: string }).access_token;
}
