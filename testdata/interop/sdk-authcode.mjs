// The official TypeScript MCP SDK client as a person at a desktop app would run it
// against `mcpgen dev`: an OAuthClientProvider with no client id and no token at the
// start, dynamic client registration (RFC 7591) and the authorization code flow with
// PKCE S256. The SDK does the discovery, the registration, the PKCE pair and the token
// request; this script only plays the browser: it fetches the authorization URL, reads
// the consent page, follows its approve link to the loopback callback it serves itself.
//
// Environment: MCP_URL (the server's MCP endpoint), SCOPE (what the client asks for).
//
// Each step is printed as one JSON line {"step": ...} so the Go test can check the order
// of the flow; tokens, codes and verifiers are never printed, only facts about them (the
// access token's typ/aud/scope, whether a code arrived). The last line is
// {"result": ...}; the exit status is 0 only when greet_user answered.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { claims, discoveryStep, env, exchangeLine, print } from './flowlog.mjs';

const mcpURL = new URL(env('MCP_URL'));
const scope = env('SCOPE');

// The loopback callback: the redirect_uri the client registers.
let gotCode;
const codeArrived = new Promise((resolve) => (gotCode = resolve));
const callback = http.createServer((req, res) => {
  const q = new URL(req.url, 'http://127.0.0.1').searchParams;
  res.end('you can close this window');
  gotCode(q);
});
await new Promise((resolve) => callback.listen(0, '127.0.0.1', resolve));
const redirectUrl = `http://127.0.0.1:${callback.address().port}/callback`;

// Endpoints the authorization server's metadata names, to name the later exchanges.
const endpoints = {};

/** step names one HTTP exchange of the flow by what the client asked for. */
function step(url, init) {
  const shared = discoveryStep(mcpURL, url, init);
  if (shared) return shared;
  const u = new URL(url);
  if (u.href === endpoints.registration) return 'register';
  if (u.href === endpoints.token) return 'token';
  return 'other';
}

/** loggingFetch is the SDK's fetch with one log line per exchange. */
async function loggingFetch(url, init) {
  const name = step(url, init);
  const res = await fetch(url, init);
  const line = await exchangeLine(name, url, init, res);
  if (name === 'authorization server metadata' && res.ok) {
    const md = await res.clone().json();
    endpoints.registration = md.registration_endpoint;
    endpoints.token = md.token_endpoint;
    line.issuer = md.issuer;
  }
  if (name === 'register') {
    const body = await res.clone().json().catch(() => ({}));
    line.client_id_issued = Boolean(body.client_id);
    line.redirect_uris = body.redirect_uris;
    line.error = body.error;
  }
  if (name === 'token') {
    const form = new URLSearchParams(String(init?.body ?? ''));
    line.grant_type = form.get('grant_type');
    line.code_verifier_sent = form.has('code_verifier');
    line.resource = form.get('resource') ?? '';
    const body = await res.clone().json().catch(() => ({}));
    if (res.ok) {
      line.granted_scope = body.scope ?? '';
      line.access_token = claims(body.access_token);
    } else {
      line.error = body.error;
    }
  }
  print(line);
  return res;
}

/** browse plays the browser on the authorization URL: consent page, approve, callback. */
async function browse(authorizationUrl) {
  const q = authorizationUrl.searchParams;
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  const page = await res.text();
  const approve = page.match(/<meta http-equiv="refresh" content="\d+;url=([^"]+)"/)?.[1] ?? page.match(/id="approve" href="([^"]+)"/)?.[1];
  print({
    step: 'authorize', method: 'GET', url: authorizationUrl.origin + authorizationUrl.pathname, status: res.status,
    code_challenge_method: q.get('code_challenge_method'), code_challenge_sent: q.has('code_challenge'),
    resource: q.get('resource') ?? '', scope: q.get('scope') ?? '', redirect_uri: q.get('redirect_uri'),
    state_sent: q.has('state'), consent_shows_scope: page.includes(scope), approve_found: Boolean(approve),
  });
  if (!approve) return;
  const approveURL = new URL(approve.replaceAll('&amp;', '&'), authorizationUrl);
  const ok = await fetch(approveURL, { redirect: 'manual' });
  const location = ok.headers.get('location') ?? '';
  // The location carries the code: print only where it points.
  print({ step: 'approve', method: 'GET', url: approveURL.origin + approveURL.pathname, status: ok.status, to_callback: location.startsWith(redirectUrl + '?') });
  if (location) await fetch(location);
  const cb = await codeArrived;
  print({ step: 'callback', code_received: cb.has('code'), state_matches: q.has('state') && cb.get('state') === q.get('state'), iss: cb.get('iss') ?? '' });
}

/** provider keeps the client's state in memory, as a desktop app's session would. */
const store = {};
const provider = {
  get redirectUrl() {
    return redirectUrl;
  },
  get clientMetadata() {
    return { client_name: 'interop-ts-sdk-authcode', redirect_uris: [redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', scope };
  },
  state: () => randomBytes(16).toString('base64url'),
  clientInformation: () => store.client,
  saveClientInformation: (info) => void (store.client = info),
  tokens: () => store.tokens,
  saveTokens: (tokens) => void (store.tokens = tokens),
  saveCodeVerifier: (v) => void (store.verifier = v),
  codeVerifier: () => store.verifier,
  redirectToAuthorization: (url) => browse(url),
};

const connect = async () => {
  const transport = new StreamableHTTPClientTransport(mcpURL, { authProvider: provider, fetch: loggingFetch });
  const client = new Client({ name: 'interop-ts-sdk-authcode', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
};

let outcome;
let session;
try {
  try {
    session = await connect();
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
    // The SDK sent the "browser" away; the code came back to the callback.
    const q = await codeArrived;
    const transport = new StreamableHTTPClientTransport(mcpURL, { authProvider: provider, fetch: loggingFetch });
    await transport.finishAuth(q.get('code'));
    session = await connect();
  }
  print({ step: 'connected', protocol_version: session.transport.protocolVersion });
  const result = await session.client.callTool({ name: 'greet_user', arguments: { name: 'Ada' } });
  const text = result.content?.map((c) => c.text).join('') ?? '';
  outcome = result.isError ? { result: 'tool error', text } : { result: 'greeting', text };
} catch (err) {
  outcome = { result: 'error', message: String(err?.message ?? err) };
} finally {
  await session?.client.close().catch(() => {});
  callback.close();
}
print(outcome);
process.exit(outcome.result === 'greeting' ? 0 : 1);
