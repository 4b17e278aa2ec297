// The official TypeScript MCP SDK client stepping up its scopes (least privilege): it
// asks for what the 401 challenge names (the server's baseline), calls a tool the
// baseline covers, then calls one that needs more, gets 403 insufficient_scope naming
// the scope, asks for that scope and retries.
//
// The retry after a 403 insufficient_scope is the SDK's own (StreamableHTTPClientTransport
// calls auth() with the challenge's scope and sends the request again, once per
// challenge). One thing is this script's: in SDK 1.32.2 the client_credentials token
// request takes its scope from provider.clientMetadata.scope, not from the scope auth()
// was given, so a plain ClientCredentialsProvider asks for the same scope again and the
// retry is refused. The provider below asks for the scope of the latest challenge, as a
// client honouring the MCP spec's scope selection does.
//
// Environment: MCP_URL (the server's MCP endpoint), AS_ISSUER (the only authorization
// server the credentials may be sent to), CLIENT_ID, CLIENT_SECRET.
//
// Each HTTP exchange is printed as one JSON line {"step": ...}, tokens never, only what
// the issued JWT says about itself (typ, aud, scope). The last line is {"result": ...};
// the exit status is 0 only when both tools answered.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { claims, discoveryStep, env, exchangeLine, print } from './flowlog.mjs';

const mcpURL = new URL(env('MCP_URL'));
const issuer = env('AS_ISSUER');

// challengedScope is the scope="…" of the latest 401 or 403 challenge.
let challengedScope;

function step(url, init) {
  const shared = discoveryStep(mcpURL, url, init);
  if (shared) return shared;
  const u = new URL(url);
  if (u.origin === new URL(issuer).origin && init?.method === 'POST') return 'token';
  return 'other';
}

/** toolName is the tool a tools/call request names, for the log. */
function toolName(init) {
  try {
    return JSON.parse(String(init?.body ?? '')).params?.name;
  } catch {
    return undefined;
  }
}

async function loggingFetch(url, init) {
  const name = step(url, init);
  const res = await fetch(url, init);
  const line = await exchangeLine(name, url, init, res);
  if (name === 'mcp POST tools/call') line.tool = toolName(init);
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

const provider = new ChallengeScopedProvider({
  clientId: env('CLIENT_ID'),
  clientSecret: env('CLIENT_SECRET'),
  expectedIssuer: issuer,
});
const transport = new StreamableHTTPClientTransport(mcpURL, { authProvider: provider, fetch: loggingFetch });
const client = new Client({ name: 'interop-ts-sdk-stepup', version: '1.0.0' });

const call = async (name, args) => {
  const result = await client.callTool({ name, arguments: args });
  const text = result.content?.map((c) => c.text).join('') ?? '';
  print({ step: 'tool answered', tool: name, is_error: Boolean(result.isError), text });
  return !result.isError;
};

let outcome;
try {
  await client.connect(transport);
  print({ step: 'connected', protocol_version: transport.protocolVersion });
  const greeted = await call('greet_user', { name: 'Ada' });
  const admin = await call('admin_op', {});
  outcome = { result: greeted && admin ? 'both tools answered' : 'tool error' };
} catch (err) {
  if (err instanceof StreamableHTTPError) {
    outcome = { result: 'http error', status: err.code, message: err.message };
  } else {
    outcome = { result: 'error', message: String(err?.message ?? err) };
  }
} finally {
  await client.close().catch(() => {});
}
print(outcome);
process.exit(outcome.result === 'both tools answered' ? 0 : 1);
