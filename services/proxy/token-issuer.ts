// Issues client-credentials access tokens shaped like a real XSUAA connectivity token
// (sap-contract.md §1.3): RS256, `jku` pointing at our /token_keys, tenant in `zid` and `ext_attr`.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ClientConfig, SubaccountConfig } from '../shared/config-schema.js';
import type { SigningKeys } from './token-keys.js';

export interface IssueOptions {
  client: ClientConfig;
  subaccount: SubaccountConfig;
  /** e.g. `http://127.0.0.1:8080`; `iss` is `<this>/oauth/token`, `jku` is `<this>/token_keys`. */
  issuerBaseUrl: string;
  /** The connectivity service's xsappname; connectivity clients get the scope `<this>.proxy`. */
  connectivityXsappname: string;
  validitySeconds: number;
  /** Clock in epoch milliseconds (tests move it); default Date.now. */
  now?: () => number;
}

/** The body of a token response, as Cloud Foundry UAA writes it. */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  /** Space-separated, as in OAuth 2.0 token responses. */
  scope: string;
  jti: string;
}

export function scopesFor(client: ClientConfig, connectivityXsappname: string): string[] {
  return client.service === 'connectivity' ? ['uaa.resource', `${connectivityXsappname}.proxy`] : ['uaa.resource'];
}

export async function issueClientCredentialsToken(keys: SigningKeys, opts: IssueOptions): Promise<TokenResponse> {
  const { client, subaccount, issuerBaseUrl, connectivityXsappname, validitySeconds } = opts;
  const iat = Math.floor((opts.now ?? Date.now)() / 1000);
  const exp = iat + validitySeconds;
  const jti = randomUUID().replace(/-/g, '');
  const scope = scopesFor(client, connectivityXsappname);
  const clientId = client.clientid;
  const accessToken = await new SignJWT({
    jti,
    ext_attr: { enhancer: 'XSUAA', subaccountid: subaccount.subaccount, zdn: subaccount.subdomain },
    sub: clientId,
    authorities: scope,
    scope,
    client_id: clientId,
    cid: clientId,
    azp: clientId,
    grant_type: 'client_credentials',
    origin: 'uaa',
    zid: subaccount.subaccount,
    iat,
    exp,
    iss: `${issuerBaseUrl}/oauth/token`,
    aud: [clientId],
  })
    .setProtectedHeader({ alg: 'RS256', jku: `${issuerBaseUrl}/token_keys`, kid: keys.kid, typ: 'JWT' })
    .sign(keys.privateKey);
  return { access_token: accessToken, token_type: 'bearer', expires_in: exp - iat, scope: scope.join(' '), jti };
}
