// The hot routes (POST /chat/completions, /v1/chat/completions, /embeddings, /v1/embeddings
// with no query string) are taken straight from the node:http 'request' event, before
// fastify builds its Request/Reply, routes and runs its content-type parser: measured, that
// layer was a noticeable part of the proxy's CPU per request (see bench/proxy.ts). Every
// other request — and these same paths with a query string, or any request while draining —
// goes to fastify, which has the same routes, so behaviour does not depend on the path taken.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { proxyError } from './openai-error.js';
import { rawHeader } from './http-util.js';
import { Endpoint, ProxyRequest, type StampedRequest } from './proxy-request.js';
import type { ProxyState } from './state-types.js';

type HotRequest = StampedRequest & { gbBody?: ProxyRequest };

function hotEndpoint(url: string | undefined): Endpoint | -1 {
  switch (url) {
    case '/chat/completions':
    case '/v1/chat/completions':
      return Endpoint.Chat;
    case '/embeddings':
    case '/v1/embeddings':
      return Endpoint.Embeddings;
    default:
      return -1;
  }
}

function onBodyData(this: HotRequest, chunk: Buffer): void {
  const ctx = this.gbBody;
  if (ctx === undefined) return;
  if (ctx.addBodyChunk(chunk)) return;
  // over the limit: answer now, drop the rest of the body, close the connection after
  this.gbBody = undefined;
  ctx.res.shouldKeepAlive = false;
  ctx.fail(proxyError(413, `the request body is larger than ${ctx.maxBodyBytes} bytes`, 'body_too_large'));
}

function onBodyEnd(this: HotRequest): void {
  const ctx = this.gbBody;
  if (ctx === undefined) return;
  this.gbBody = undefined;
  ctx.run(ctx.takeBody());
}

/** A server factory for fastify: stamps every request's start and serves the hot routes itself. */
export function hotServerFactory(state: ProxyState, maxBodyBytes: number) {
  return (fastifyHandler: (req: IncomingMessage, res: ServerResponse) => void): Server => {
    const server = createServer({ noDelay: true }, (req: IncomingMessage, res: ServerResponse) => {
      (req as StampedRequest).gbStart = performance.now();
      if (req.method === 'POST' && !state.draining) {
        const ep = hotEndpoint(req.url);
        if (ep !== -1) {
          const ctx = new ProxyRequest(state, req, res, ep);
          ctx.maxBodyBytes = maxBodyBytes;
          const len = Number(rawHeader(req.rawHeaders, 'content-length'));
          if (len > maxBodyBytes) {
            res.shouldKeepAlive = false;
            ctx.fail(proxyError(413, `the request body is larger than ${maxBodyBytes} bytes`, 'body_too_large'));
            req.resume();
            return;
          }
          (req as HotRequest).gbBody = ctx;
          req.on('data', onBodyData);
          req.on('end', onBodyEnd);
          return;
        }
      }
      fastifyHandler(req, res);
    });
    // fastify's defaults for its own servers: keep connections open between a client's requests
    server.keepAliveTimeout = 72_000;
    return server;
  };
}
