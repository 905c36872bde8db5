// Real servers for the proxy tests: the fake upstream, a proxy from a config object, tiny
// node:http servers for precise faults, and a port nothing listens on. Each returns close().
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { startUpstream, type StartedUpstream, type UpstreamOptions } from '../../fake-upstream/index.js';
import type { ProxyHooks } from '../../proxy/hooks.js';
import { createProxy, parseProxyConfig, type Proxy, type ProxyPlugin } from '../../proxy/index.js';
import { freePort } from '../../lib/process.js';

export const MASTER_KEY = 'sk-test-master-1234';

export function fakeUpstream(opts: Partial<UpstreamOptions> = {}): Promise<StartedUpstream> {
  return startUpstream({ ledgerCapacity: 0, ...opts });
}

export interface RunningProxy {
  url: string;
  proxy: Proxy;
  close(): Promise<void>;
}

export async function startProxy(config: unknown, opts: { hooks?: ProxyHooks; plugins?: ProxyPlugin[] } = {}): Promise<RunningProxy> {
  const proxy = await createProxy({ config: parseProxyConfig(config, 'test-config'), hooks: opts.hooks, plugins: opts.plugins, drainTimeoutMs: 2000 });
  const url = await proxy.listen(0, '127.0.0.1');
  return { url, proxy, close: () => proxy.close() };
}

/** One model group `name` served by `apiBase` (the fake upstream's URL), with a master key. */
export function oneModel(apiBase: string, extra: Record<string, unknown> = {}, name = 'fake-openai-endpoint') {
  return {
    model_list: [{ model_name: name, litellm_params: { model: 'openai/any', api_base: apiBase, api_key: 'test' }, model_info: { id: `${name}-id` } }],
    general_settings: { master_key: MASTER_KEY },
    ...extra,
  };
}

export interface TinyServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function tinyServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TinyServer> {
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        server,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** A URL on a port that was free a moment ago: connecting to it is refused. */
export async function refusedUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

export function chatBody(model = 'fake-openai-endpoint', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }], ...extra });
}

export async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: Record<string, unknown>; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER_KEY}`, ...headers } });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON: the test looks at text */
  }
  return { status: res.status, headers: res.headers, json, text };
}
