// Helpers the TypeScript SDK clients share to print their flow as JSON lines for the Go
// test: settings from the environment, one line per step, and what an access token says
// about itself without the token ever being printed.
import path from 'node:path';

/** env returns a required setting; without it the script exits 2 naming it. */
export function env(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${path.basename(process.argv[1])}: set ${name}`);
    process.exit(2);
  }
  return v;
}

/** print writes one line of the flow. */
export const print = (obj) => console.log(JSON.stringify(obj));

export function safeJSON(s) {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** claims reads what an RFC 9068 access token says about itself, without printing it. */
export function claims(jwt) {
  const [header, payload] = String(jwt).split('.').slice(0, 2).map((p) => safeJSON(Buffer.from(p, 'base64url').toString()));
  return { typ: header?.typ, alg: header?.alg, iss: payload?.iss, aud: payload?.aud, scope: payload?.scope ?? '', client_id: payload?.client_id };
}

/**
 * discoveryStep names an exchange with the MCP endpoint or a metadata document, the
 * steps every flow shares; undefined for anything else.
 */
export function discoveryStep(mcpURL, url, init) {
  const u = new URL(url);
  if (u.href === mcpURL.href) {
    const body = typeof init?.body === 'string' ? safeJSON(init.body) : undefined;
    return `mcp ${init?.method ?? 'GET'} ${body?.method ?? ''}`.trim();
  }
  if (u.pathname.startsWith('/.well-known/oauth-protected-resource')) return 'resource metadata';
  if (u.pathname.startsWith('/.well-known/')) return 'authorization server metadata';
  return undefined;
}

/**
 * exchangeLine is the line for one HTTP exchange named name: its status, any challenge,
 * and what protected resource metadata says; the caller adds its own facts.
 */
export async function exchangeLine(name, url, init, res) {
  const line = { step: name, method: init?.method ?? 'GET', url: String(url), status: res.status };
  const challenge = res.headers.get('www-authenticate');
  if (challenge) line.challenge = challenge;
  if (name === 'resource metadata' && res.ok) {
    const prm = await res.clone().json();
    line.resource = prm.resource;
    line.authorization_servers = prm.authorization_servers;
  }
  return line;
}
