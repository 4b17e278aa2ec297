// The official TypeScript MCP SDK client as a machine-to-machine user would run it: a
// ClientCredentialsProvider with a client id and secret, and no token at the start.
// Everything else (the 401 challenge, protected resource metadata, authorization server
// metadata, the token request with the right resource) is the SDK's own doing.
//
// Environment: MCP_URL (the server's MCP endpoint), AS_ISSUER (the only authorization
// server the credentials may be sent to), CLIENT_ID, CLIENT_SECRET, SCOPE (what the
// client asks for), EXPECT ("greeting": greet_user must succeed; "insufficient_scope":
// the server must refuse greet_user with 403 insufficient_scope after the SDK's one
// step-up attempt).
//
// Each HTTP exchange is printed as one JSON line {"step": ...} so the Go test can check
// the order of the flow; tokens are never printed, only what the issued JWT says about
// itself (typ, aud, scope). The last line is {"result": ...}; the exit status is 0 only
// when the expectation was met.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { claims, discoveryStep, env, exchangeLine, print } from './flowlog.mjs';

const mcpURL = new URL(env('MCP_URL'));
const issuer = env('AS_ISSUER');
const expect = env('EXPECT');

/** step names one HTTP exchange of the flow by what the client asked for. */
function step(url, init) {
  const shared = discoveryStep(mcpURL, url, init);
  if (shared) return shared;
  const u = new URL(url);
  if (u.origin === new URL(issuer).origin && init?.method === 'POST') return 'token';
  return 'other';
}

/** loggingFetch is the SDK's fetch with one log line per exchange. */
async function loggingFetch(url, init) {
  const name = step(url, init);
  const res = await fetch(url, init);
  const line = await exchangeLine(name, url, init, res);
  if (name === 'token' && res.ok) {
    const body = await res.clone().json();
    line.granted_scope = body.scope ?? '';
    line.token_type = body.token_type;
    line.access_token = claims(body.access_token);
  }
  if (name === 'token' && !res.ok) {
    line.error = await res.clone().text();
  }
  print(line);
  return res;
}

const provider = new ClientCredentialsProvider({
  clientId: env('CLIENT_ID'),
  clientSecret: env('CLIENT_SECRET'),
  expectedIssuer: issuer,
  scope: env('SCOPE'),
});
const transport = new StreamableHTTPClientTransport(mcpURL, { authProvider: provider, fetch: loggingFetch });
const client = new Client({ name: 'interop-ts-sdk', version: '1.0.0' });

let outcome;
try {
  await client.connect(transport);
  print({ step: 'connected', protocol_version: transport.protocolVersion, server: client.getServerVersion() });
  const { tools } = await client.listTools();
  print({ step: 'tools listed', tools: tools.map((t) => t.name) });
  const result = await client.callTool({ name: 'greet_user', arguments: { name: 'Ada' } });
  const text = result.content?.map((c) => c.text).join('') ?? '';
  outcome = result.isError ? { result: 'tool error', text } : { result: 'greeting', text };
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

const met = expect === 'greeting' ? outcome.result === 'greeting' : outcome.result === 'http error' && outcome.status === 403;
process.exit(met ? 0 : 1);
