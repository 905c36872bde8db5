// The runner's routes: GET /__gatebench/ledger?after=&limit=, GET /__gatebench/stats,
// POST /__gatebench/reset. Not counted in the stats.
import { R_ADMIN_RESET, R_ADMIN_STATS } from './routes.js';
import type { UpReq, UpRes, Upstream } from './server.js';

export function handleAdmin(up: Upstream, route: number, req: UpReq, res: UpRes, url: string): void {
  res.up = up;
  // Written with adminSend, not send(): admin answers are not counted in the stats.
  if (route === R_ADMIN_STATS) return adminSend(res, JSON.stringify(up.stats()));
  if (route === R_ADMIN_RESET) {
    req.resume();
    up.resetCounters();
    return adminSend(res, '{"ok":true}');
  }
  // R_ADMIN_LEDGER
  const params = new URLSearchParams(url.slice(url.indexOf('?') + 1 || url.length));
  const after = Number(params.get('after') ?? 0);
  const limitRaw = Number(params.get('limit') ?? 10_000);
  const limit = Number.isFinite(limitRaw) && limitRaw > 0 ? Math.min(Math.floor(limitRaw), 1_000_000) : 10_000;
  adminSend(res, JSON.stringify(up.ledger.page(Number.isFinite(after) && after > 0 ? after : 0, limit)));
}

function adminSend(res: UpRes, body: string): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
