// The step-up client transport the TypeScript SDK scripts share: client credentials with
// the scope of the server's latest challenge, and one printed line per HTTP exchange.
//
// The retry after a 403 insufficient_scope is the SDK's own (StreamableHTTPClientTransport
// calls auth() with the challenge's scope and sends the request again, once per
// challenge). One thing is ours: in SDK 1.32.2 the client_credentials token request
// takes its scope from provider.clientMetadata.scope, not from the scope auth() was
// given, so a plain ClientCredentialsProvider asks for the same scope again and the
// retry is refused. The provider below asks for the scope of the latest challenge, as a
// client honouring the MCP spec's scope selection does.
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { claims, discoveryStep, exchangeLine, print } from './flowlog.mjs';

/**
 * stepUpTransport is a transport to mcpURL whose tokens come from issuer (the only
 * authorization server the credentials may be sent to) for clientId and clientSecret.
 * Each exchange is printed as a line {"step": ...}, tokens never; annotate(line, init)
 * adds the caller's facts about an exchange with the MCP endpoint.
 */
export function stepUpTransport({ mcpURL, issuer, clientId, clientSecret, annotate = () => {} }) {
  // challengedScope is the scope="…" of the latest 401 or 403 challenge.
  let challengedScope;

  async function loggingFetch(url, init) {
    let name = discoveryStep(mcpURL, url, init);
    if (!name) name = new URL(url).origin === new URL(issuer).origin && init?.method === 'POST' ? 'token' : 'other';
    const res = await fetch(url, init);
    const line = await exchangeLine(name, url, init, res);
    if (name.startsWith('mcp ')) annotate(line, init);
    const scope = line.challenge?.match(/scope="([^"]*)"/)?.[1];
    if ((res.status === 401 || res.status === 403) && scope) challengedScope = scope;
    if (name === 'token') {
      line.requested_scope = new URLSearchParams(String(init?.body ?? '')).get('scope') ?? '';
      const body = await res.clone().json().catch(() => ({}));
      if (res.ok) {
        line.granted_scope = body.scope ?? '';
        line.access_token = claims(body.access_token);
      } else {
        line.error = `${body.error}: ${body.error_description ?? ''}`;
      }
    }
    print(line);
    return res;
  }

  /** ChallengeScopedProvider asks for the scope the server's latest challenge names. */
  class ChallengeScopedProvider extends ClientCredentialsProvider {
    get clientMetadata() {
      return { ...super.clientMetadata, scope: challengedScope };
    }
  }

  const provider = new ChallengeScopedProvider({ clientId, clientSecret, expectedIssuer: issuer });
  return new StreamableHTTPClientTransport(mcpURL, { authProvider: provider, fetch: loggingFetch });
}
