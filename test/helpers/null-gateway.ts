// A gateway that does nothing but forward (node:http in, one undici Pool out), in a process of
// its own, reporting its own overhead in x-litellm-overhead-duration-ms exactly as the
// reference proxy defines it: from the 'request' event to its response headers, minus the time
// waited on the upstream, counted from the upstream request written (onRequestSent) to the
// upstream body complete. It is the yardstick of the ledger check in
// ledger-overhead-reference.quiet.test.ts: the same hop structure as any gateway, and an
// overhead header known to be right.
//   node null-gateway.js <upstream origin> [--send-work-us N] [--wait-from-dispatch]
// --send-work-us N: sending the upstream request costs N µs of CPU (a stand-in for building
//   the upstream body), part of the gateway's own work, so counted in its header.
// --wait-from-dispatch: books the send as waiting on the upstream (the clock starts before the
//   send's work instead of once the request is written) — the bug that hides a gateway's own
//   send (issue 23 §3), so a test can show the check catches it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Pool, type Dispatcher } from 'undici';

const upstream = process.argv[2];
const fromDispatch = process.argv.includes('--wait-from-dispatch');
const workAt = process.argv.indexOf('--send-work-us');
const sendWorkMs = workAt > 0 ? Number(process.argv[workAt + 1]) / 1000 : 0;
const pool = new Pool(upstream, { connections: 16 });
const HEADERS = ['content-type', 'application/json'];

class Forward implements Dispatcher.DispatchHandler {
  chunks: Buffer[] = [];
  status = 0;
  waitFrom = 0;
  constructor(
    readonly res: ServerResponse,
    readonly start: number,
  ) {}
  onConnect(): void {}
  onRequestSent(): void {
    if (!fromDispatch) this.waitFrom = performance.now();
  }
  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }
  onData(c: Buffer): boolean {
    this.chunks.push(c);
    return true;
  }
  onComplete(): void {
    const body = Buffer.concat(this.chunks);
    // (now − start) − (now − waitFrom): everything up to the upstream request written
    const overhead = this.waitFrom - this.start;
    this.res.writeHead(this.status, ['content-type', 'application/json', 'content-length', String(body.length), 'x-litellm-overhead-duration-ms', overhead.toFixed(3)]);
    this.res.end(body);
  }
  onError(err: Error): void {
    this.res.writeHead(502);
    this.res.end(err.message);
  }
}

createServer((req: IncomingMessage, res: ServerResponse) => {
  const start = performance.now();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const h = new Forward(res, start);
    if (fromDispatch) h.waitFrom = performance.now();
    // the send's own work: a busy wait, so its cost does not depend on the machine's speed
    const until = performance.now() + sendWorkMs;
    while (performance.now() < until);
    pool.dispatch({ path: '/v1/chat/completions', method: 'POST', headers: HEADERS, body: Buffer.concat(chunks) }, h);
  });
}).listen(0, '127.0.0.1', function (this: import('node:net').Server) {
  const a = this.address() as { port: number };
  process.stderr.write(`READY ${JSON.stringify({ url: `http://127.0.0.1:${a.port}`, pid: process.pid })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
