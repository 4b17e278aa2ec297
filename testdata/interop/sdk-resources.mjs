// The official TypeScript MCP SDK client reading resources and getting a prompt that
// each need their own scope: it connects with the baseline scope the 401 challenge
// names, then each resources/read and prompts/get is answered 403 insufficient_scope
// naming the scope it needs, the client asks for that scope and retries (the SDK's own
// step-up, with the challenge-scoped provider of stepup.mjs).
//
// Environment: MCP_URL (the server's MCP endpoint), AS_ISSUER (the only authorization
// server the credentials may be sent to), CLIENT_ID, CLIENT_SECRET.
//
// Each HTTP exchange is printed as one JSON line {"step": ...}, tokens never. The last
// line is {"result": ...}; the exit status is 0 only when everything was answered.
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
    const params = safeJSON(String(init?.body ?? ''))?.params;
    if (line.step === 'mcp POST resources/read') line.target = params?.uri;
    if (line.step === 'mcp POST prompts/get') line.target = params?.name;
  },
});
const client = new Client({ name: 'interop-ts-sdk-resources', version: '1.0.0' });

const read = async (uri) => {
  const result = await client.readResource({ uri });
  const c = result.contents?.[0] ?? {};
  print({ step: 'resource read', target: uri, text: c.text ?? '', mime_type: c.mimeType ?? '', uri: c.uri ?? '' });
};

let outcome;
try {
  await client.connect(transport);
  print({ step: 'connected', protocol_version: transport.protocolVersion });
  await read('docs://guide');
  await read('weather://cities/oslo');
  const prompt = await client.getPrompt({ name: 'summarize', arguments: { text: 'hello' } });
  print({ step: 'prompt got', target: 'summarize', text: prompt.messages?.map((m) => m.content?.text ?? '').join('') ?? '' });
  outcome = { result: 'everything answered' };
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
process.exit(outcome.result === 'everything answered' ? 0 : 1);
