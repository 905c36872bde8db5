// createProxy: the fastify app with the OpenAI-compatible routes, health, metrics, the
// router, and a graceful close. The proxied routes live in their own encapsulated context
// whose only body parser keeps the raw Buffer (never JSON.parse + re-stringify an 11 KB
// prompt); plugins registered by state modules keep fastify's normal JSON parser.
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import { Authenticator } from './auth.js';
import type { ProxyConfig } from './config.js';
import type { ProxyHooks } from './hooks.js';
import { ProxyMetrics } from './metrics.js';
import { errorBody, proxyError } from './openai-error.js';
import { hotServerFactory } from './fast-path.js';
import { Endpoint, ProxyRequest } from './proxy-request.js';
import { Router } from './router.js';
import type { ProxyState } from './state-types.js';

export interface ProxyPluginOptions {
  router: Router;
  config: ProxyConfig;
  state: ProxyState;
}
export type ProxyPlugin = FastifyPluginAsync<ProxyPluginOptions>;

export interface CreateProxyOptions {
  config: ProxyConfig;
  hooks?: ProxyHooks;
  /** fastify plugins (e.g. key management, POST /model/new); they get { router, config, state } as options */
  plugins?: ProxyPlugin[];
  /** upstream connections per origin (undici Pool `connections`); default 256 */
  connections?: number | null;
  /** how long close() waits for in-flight requests before cutting them, ms (default 30 s) */
  drainTimeoutMs?: number;
}

export interface Proxy {
  app: FastifyInstance;
  router: Router;
  state: ProxyState;
  metrics: ProxyMetrics;
  listen(port: number, host?: string): Promise<string>;
  /** Graceful: stop accepting, finish in-flight requests, hooks.close(), close upstream pools. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

function sendError(reply: FastifyReply, status: number, message: string, code: string | null, param: string | null = null): void {
  reply.code(status).header('content-type', 'application/json').send(errorBody(proxyError(status, message, code, param)));
}

/**
 * Requests node's HTTP parser refuses (bad header bytes, oversized headers, broken framing)
 * never reach a route: answer them OpenAI-shaped too, then close, as node itself would.
 */
function answerClientError(err: Error & { code?: string }, socket: import('node:net').Socket): void {
  if (!socket.writable || (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  const message = status === 431 ? 'the request headers are too large' : status === 408 ? 'the request took too long to arrive' : `malformed HTTP request (${err.code ?? 'parse error'})`;
  const body = errorBody(proxyError(status, message, status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'bad_http_request'));
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body.toString()}`);
}

export async function createProxy(opts: CreateProxyOptions): Promise<Proxy> {
  const { config } = opts;
  const hooks = opts.hooks ?? {};
  const router = new Router(config, { connections: opts.connections === undefined ? 256 : opts.connections });
  const auth = new Authenticator(config.general_settings.master_key, hooks);
  const metrics = new ProxyMetrics(() => state.active);
  const state: ProxyState = { router, hooks, metrics, auth, ready: false, draining: false, active: 0 };
  const created = Math.floor(Date.now() / 1000);

  // The overhead clock starts at the raw 'request' event (hotServerFactory stamps it),
  // before fastify routes, parses or authenticates; the hot routes skip fastify entirely.
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    serverFactory: hotServerFactory(state, MAX_BODY_BYTES),
    clientErrorHandler: answerClientError,
  });

  app.setErrorHandler((err: { statusCode?: number; message: string; code?: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    sendError(reply, status, status === 500 ? 'internal error' : err.message, err.code ?? null);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, `no route ${req.method} ${req.url.split('?')[0]}`, 'route_not_found'));

  await app.register(async (hot) => {
    hot.removeAllContentTypeParsers();
    hot.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));
    const chat = (req: FastifyRequest, reply: FastifyReply): void => {
      reply.hijack();
      new ProxyRequest(state, req.raw, reply.raw, Endpoint.Chat).run(req.body);
    };
    const embeddings = (req: FastifyRequest, reply: FastifyReply): void => {
      reply.hijack();
      new ProxyRequest(state, req.raw, reply.raw, Endpoint.Embeddings).run(req.body);
    };
    hot.post('/chat/completions', chat);
    hot.post('/v1/chat/completions', chat);
    hot.post('/embeddings', embeddings);
    hot.post('/v1/embeddings', embeddings);
  });

  const models = async (req: FastifyRequest, reply: FastifyReply) => {
    const outcome = await auth.check(req.headers.authorization, null);
    if (!outcome.ok) return sendError(reply, outcome.status, outcome.message, outcome.code);
    const allowed = outcome.auth.models;
    const data = router
      .modelNames()
      .filter((m) => allowed === null || allowed.includes(m))
      .map((id) => ({ id, object: 'model', created, owned_by: 'openai' }));
    return reply.send({ object: 'list', data });
  };
  app.get('/models', models);
  app.get('/v1/models', models);
  const alive = async () => "I'm alive!";
  app.get('/health/liveliness', alive);
  app.get('/health/liveness', alive);
  app.get('/health/readiness', async (_req, reply) => {
    const status = state.draining ? 'draining' : state.ready ? 'healthy' : 'starting';
    return reply.code(status === 'healthy' ? 200 : 503).send({ status, models: router.modelNames().length });
  });
  app.get('/metrics', async (_req, reply) => reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()));

  for (const plugin of opts.plugins ?? []) await app.register(plugin, { router, config, state });

  if (hooks.loadDeployments) for (const spec of await hooks.loadDeployments()) router.addDeployment(spec);
  await app.ready();

  let closing: Promise<void> | null = null;
  return {
    app,
    router,
    state,
    metrics,
    async listen(port: number, host = '127.0.0.1') {
      const url = await app.listen({ port, host });
      state.ready = true;
      return url.replace('[::1]', 'localhost');
    },
    close() {
      closing ??= drain(app, state, opts.drainTimeoutMs ?? 30_000).then(async () => {
        await hooks.close?.();
        await router.close();
      });
      return closing;
    },
  };
}

/**
 * Stop accepting (fastify answers 503 + Connection: close to requests on open keep-alive
 * connections), let in-flight requests finish, and close each keep-alive connection as soon
 * as it goes idle, so that clients holding connections open do not delay the exit.
 */
async function drain(app: FastifyInstance, state: ProxyState, timeoutMs: number): Promise<void> {
  state.draining = true;
  state.ready = false;
  const closed = app.close();
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void closed.then(() => (done = true));
  while (!done) {
    app.server.closeIdleConnections();
    if (Date.now() > deadline) {
      app.server.closeAllConnections();
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await closed;
}
