// Tiny real node:http servers for the load generator's tests (port 0, closed in after()).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { freePort } from '../../lib/process.js';

export interface TestServer {
  url: string;
  requests: number;
  /** performance.now() at each new connection */
  socketOpenedAt: number[];
  maxOpenSockets: number;
  bodies: string[];
  headers: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number, body: string) => void;

/** A server that answers with `handler` (default: 200 `{"ok":true}` at once). Keeps up to `keep` bodies/headers. */
export function startServer(handler?: Handler, keep = 50): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const srv: TestServer = {
    url: '',
    requests: 0,
    socketOpenedAt: [],
    maxOpenSockets: 0,
    bodies: [],
    headers: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const n = srv.requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      if (srv.bodies.length < keep) {
        srv.bodies.push(body);
        srv.headers.push(req.headers);
      }
      if (handler) handler(req, res, n, body);
      else res.end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    srv.socketOpenedAt.push(performance.now());
    if (sockets.size > srv.maxOpenSockets) srv.maxOpenSockets = sockets.size;
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      srv.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve(srv);
    });
  });
}

/** A port nothing listens on (bound, then closed). */
export async function refusedUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
