// A real OAuth 2.1 authorization server for mcpgen's interop test: oidc-provider, a
// certified OpenID provider, on loopback. It issues RFC 9068 JWT access tokens
// (typ at+jwt) through the client_credentials grant, bound by an RFC 8707 resource
// indicator to exactly one resource server: the generated MCP server whose canonical URL
// is MCP_RESOURCE_URL.
//
// AS_CLIENTS (JSON: {"client id": {"secret": "...", "scope": "a b"}}) lists the
// confidential clients and, per client, the scopes of the MCP server it may hold: the
// resource server's policy, as an operator would configure it. A client may ask for more;
// oidc-provider narrows the token to this list, so a client without usr:read gets a token
// without it and the MCP server must answer its tool call with 403 insufficient_scope.
//
// It listens on an ephemeral loopback port and prints one JSON line, {"issuer": URL},
// once it accepts requests; every token it issues is logged as one JSON line naming
// client, resource and granted scope (never the token).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

const resource = process.env.MCP_RESOURCE_URL;
if (!resource) {
  console.error('as.mjs: set MCP_RESOURCE_URL to the MCP server URL the tokens are for');
  process.exit(2);
}

let clients;
try {
  clients = JSON.parse(process.env.AS_CLIENTS ?? '');
} catch (err) {
  console.error(`as.mjs: AS_CLIENTS must be JSON like {"id": {"secret": "s", "scope": "usr:read"}}: ${err.message}`);
  process.exit(2);
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

const http = createServer();
http.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${http.address().port}`;
  const provider = new Provider(issuer, {
    clients: Object.entries(clients).map(([id, { secret }]) => ({
      client_id: id,
      client_secret: secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomUUID()] },
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, indicator, client) {
          if (indicator !== resource) {
            throw new errors.InvalidTarget(`unknown resource ${indicator}`);
          }
          return {
            scope: clients[client.clientId].scope,
            audience: resource,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  provider.on('grant.success', (ctx) => {
    const token = ctx.oidc.entities.ClientCredentials;
    console.log(JSON.stringify({
      event: 'token issued',
      client: ctx.oidc.client?.clientId,
      resource: token?.resourceServer?.audience,
      scope: token?.scope ?? '',
      format: 'jwt (typ at+jwt)',
    }));
  });
  provider.on('grant.error', (ctx, err) => {
    console.log(JSON.stringify({ event: 'token refused', client: ctx.oidc?.client?.clientId, error: err.message }));
  });
  http.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    http.close(() => process.exit(0));
    http.closeAllConnections();
  });
}
