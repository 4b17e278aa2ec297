// The official TypeScript MCP SDK client stepping up its scopes (least privilege): it
// asks for what the 401 challenge names (the server's baseline), calls a tool the
// baseline covers, then calls one that needs more, gets 403 insufficient_scope naming
// the scope, asks for that scope and retries.
//
// The step-up itself is the SDK's, with the challenge-scoped provider of stepup.mjs.
//
// Environment: MCP_URL (the server's MCP endpoint), AS_ISSUER (the only authorization
// server the credentials may be sent to), CLIENT_ID, CLIENT_SECRET.
//
// Each HTTP exchange is printed as one JSON line {"step": ...}, tokens never, only what
// the issued JWT says about itself (typ, aud, scope). The last line is {"result": ...};
// the exit status is 0 only when both tools answered.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { env, print, safeJSON } from './flowlog.mjs';
import { stepUpTransport } from './stepup.mjs';

const transport = stepUpTransport({
  mcpURL: new URL(env('MCP_URL')),
  issuer: env('AS_ISSUER'),
  clientId: env('CLIENT_ID'),
  clientSecret: env('CLIENT_SECRET'),
  annotate(line, init) {
    if (line.step === 'mcp POST tools/call') line.tool = safeJSON(String(init?.body ?? ''))?.params?.name;
  },
});
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
