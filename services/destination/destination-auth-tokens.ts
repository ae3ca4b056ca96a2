// The `authTokens` of a "find destination" answer, by the destination's `Authentication`
// (sap-contract.md §6.3; SAP docs "Find a Destination" Response Structure and "OAuth Technical
// User Propagation Authentication"):
//   - BasicAuthentication: one Basic token for User:Password, header Authorization;
//   - OAuth2TechnicalUserPropagation: a client-credentials token of the destination's
//     clientId/clientSecret (default: the subaccount's first connectivity client), header
//     SAP-Connectivity-Technical-Authentication, with expires_in (a string, as the SDK types it);
//   - OAuth2ClientCredentials: the same token, header Authorization;
//   - every other type (NoAuthentication, PrincipalPropagation: the app forwards the user's JWT
//     itself): no authTokens at all — SAP lists the types that have the section, these are not in it.
// A token that cannot be issued becomes SAP's error form: `type` and `value` empty, `error` says why.
// The token service URL of the destination (tokenServiceURL) is not called: the simulator's own
// token service issues the token for a client of the config.
import type { Config, DestinationConfig, SubaccountConfig } from '../shared/config-schema.js';
import type { ClientDirectory, ClientEntry } from '../xsuaa/client-directory.js';
import { issueClientCredentialsToken } from '../xsuaa/token-issuer.js';
import type { SigningKeys } from '../xsuaa/token-keys.js';

export interface AuthToken {
  type: string;
  value: string;
  http_header?: { key: string; value: string };
  expires_in?: string;
  scope?: string;
  error?: string;
}

export interface AuthTokenContext {
  keys: SigningKeys;
  config: Config;
  clientDirectory: ClientDirectory;
  issuerBaseUrl: string;
  /** The subaccount of the caller (whose connectivity client is the default for technical users). */
  subaccount: SubaccountConfig;
}

/** Header that carries an OAuth token, per Authentication type that gets one. */
const OAUTH_HEADER: Record<string, string> = {
  OAuth2TechnicalUserPropagation: 'SAP-Connectivity-Technical-Authentication',
  OAuth2ClientCredentials: 'Authorization',
};

/** The authTokens for this destination, or undefined when its Authentication has none. */
export async function authTokensFor(destination: DestinationConfig, ctx: AuthTokenContext): Promise<AuthToken[] | undefined> {
  const auth = destination.Authentication;
  if (auth === 'BasicAuthentication') {
    const value = Buffer.from(`${destination.User ?? ''}:${destination.Password ?? ''}`, 'utf8').toString('base64');
    return [{ type: 'Basic', value, http_header: { key: 'Authorization', value: `Basic ${value}` } }];
  }
  const header = OAUTH_HEADER[auth];
  if (header === undefined) return undefined;
  const entry = oauthClient(destination, ctx);
  if (typeof entry === 'string') return [{ type: '', value: '', error: entry }];
  const issued = await issueClientCredentialsToken(ctx.keys, {
    client: entry.client,
    subaccount: entry.subaccount,
    issuerBaseUrl: ctx.issuerBaseUrl,
    connectivityXsappname: ctx.config.proxy.connectivityXsappname,
    validitySeconds: ctx.config.proxy.tokenValiditySeconds,
  });
  const value = issued.access_token;
  return [{
    type: 'Bearer', value, http_header: { key: header, value: `Bearer ${value}` },
    expires_in: String(issued.expires_in), scope: issued.scope,
  }];
}

/** The OAuth client whose token the destination carries, or the reason there is none. */
function oauthClient(destination: DestinationConfig, ctx: AuthTokenContext): ClientEntry | string {
  const { clientId, clientSecret } = destination as Record<string, string | undefined>;
  if (clientId === undefined || clientId === '') {
    const client = ctx.subaccount.clients.find((c) => c.service === 'connectivity');
    if (client === undefined) {
      return `Destination ${destination.Name} has no clientId and subaccount ${ctx.subaccount.subaccount} has no connectivity client to fall back on`;
    }
    return { client, subaccount: ctx.subaccount };
  }
  const entry = ctx.clientDirectory.authenticate(clientId, clientSecret ?? '');
  return entry ?? `Retrieval of the OAuth token for destination ${destination.Name} failed: the token service refused client ${clientId} (invalid_client, Bad credentials)`;
}
