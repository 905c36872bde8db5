// Fake logging sinks with the real services' shapes: a gateway under test ships spend logs
// and traces here, and the counts tell the runner whether nothing was lost.
//   GCS JSON API media upload   POST /upload/storage/v1/b/:bucket/o?uploadType=media&name=…
//   LangSmith                   POST /runs/batch {post:[…], patch:[…]}, POST /runs
//   generic webhook             POST /webhook[?tenant=…]
// Items are also counted per tenant — the bucket, the LangSmith API key, the webhook's
// `tenant` — so that several gateways sharing one upstream are each checked for loss.
import { createHash } from 'node:crypto';
import type { SinkCount } from './types.js';
import { R_GCS, R_LS_BATCH, R_LS_RUN } from './routes.js';
import { send } from './answer.js';
import type { UpReq, UpRes, Upstream } from './server.js';

export class SinkCounters {
  gcs: SinkCount = { requests: 0, items: 0, bytes: 0 };
  langsmith: SinkCount = { requests: 0, items: 0, bytes: 0 };
  webhook: SinkCount = { requests: 0, items: 0, bytes: 0 };
  tenants = new Map<string, { gcs: number; langsmith: number; webhook: number }>();

  snapshot(): { gcs: SinkCount; langsmith: SinkCount; webhook: SinkCount } {
    return { gcs: { ...this.gcs }, langsmith: { ...this.langsmith }, webhook: { ...this.webhook } };
  }

  byTenant(): Record<string, { gcs: number; langsmith: number; webhook: number }> {
    const out: Record<string, { gcs: number; langsmith: number; webhook: number }> = {};
    for (const [k, v] of this.tenants) out[k] = { ...v };
    return out;
  }

  reset(): void {
    this.gcs = { requests: 0, items: 0, bytes: 0 };
    this.langsmith = { requests: 0, items: 0, bytes: 0 };
    this.webhook = { requests: 0, items: 0, bytes: 0 };
    this.tenants.clear();
  }
}

function count(c: SinkCount, items: number, bytes: number): void {
  c.requests++;
  c.items += items;
  c.bytes += bytes;
}

function countTenant(up: Upstream, tenant: string | null | undefined, sink: 'gcs' | 'langsmith' | 'webhook', items: number): void {
  if (!tenant || items === 0) return;
  let t = up.sinks.tenants.get(tenant);
  if (!t) up.sinks.tenants.set(tenant, (t = { gcs: 0, langsmith: 0, webhook: 0 }));
  t[sink] += items;
}

function header(req: UpReq, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : null;
}

/** Non-empty lines of an NDJSON body (whitespace-only lines do not count). */
export function countNdjsonLines(body: Buffer): number {
  let n = 0;
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    if (end < 0) end = body.length;
    for (let i = start; i < end; i++) {
      const b = body[i];
      if (b !== 0x20 && b !== 0x09 && b !== 0x0d) {
        n++;
        break;
      }
    }
    start = end + 1;
  }
  return n;
}

function gcsError(res: UpRes, status: number, message: string, reason: string): void {
  send(res, status, JSON.stringify({ error: { code: status, message, errors: [{ message, domain: 'global', reason }] } }));
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

const INVALID_JSON = JSON.stringify({ detail: 'Invalid JSON body' });

export function handleSinkBody(up: Upstream, req: UpReq, res: UpRes, body: Buffer): void {
  const route = res.gbRoute;
  const url = req.url ?? '/';
  if (route === R_GCS) return gcsUpload(up, req, res, body, url);
  if (route === R_LS_BATCH || route === R_LS_RUN) {
    const json = parseJson(body);
    if (json === undefined || json === null || typeof json !== 'object') {
      count(up.sinks.langsmith, 0, body.length);
      return send(res, 400, INVALID_JSON);
    }
    if (route === R_LS_RUN) {
      count(up.sinks.langsmith, 1, body.length);
      countTenant(up, header(req, 'x-api-key'), 'langsmith', 1);
      return send(res, 202, '{"message":"Run created"}');
    }
    const { post, patch } = json as { post?: unknown; patch?: unknown };
    const items = (Array.isArray(post) ? post.length : 0) + (Array.isArray(patch) ? patch.length : 0);
    count(up.sinks.langsmith, items, body.length);
    countTenant(up, header(req, 'x-api-key'), 'langsmith', items);
    return send(res, 202, '{"message":"Runs batch ingested"}');
  }
  // R_WEBHOOK: any body; a JSON array counts its elements.
  let items = 1;
  if (body.length > 0 && body[0] === 0x5b) {
    const json = parseJson(body);
    if (Array.isArray(json)) items = json.length;
  }
  count(up.sinks.webhook, items, body.length);
  const q = url.indexOf('?');
  countTenant(up, q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('tenant'), 'webhook', items);
  send(res, 200, '{"ok":true}');
}

function gcsUpload(up: Upstream, req: UpReq, res: UpRes, body: Buffer, url: string): void {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const bucket = decodeURIComponent(path.slice('/upload/storage/v1/b/'.length, path.length - 2));
  const name = params.get('name');
  const uploadType = params.get('uploadType');
  if (uploadType !== 'media') {
    count(up.sinks.gcs, 0, body.length);
    return gcsError(res, 400, `Unsupported uploadType ${JSON.stringify(uploadType ?? '')}: this fake accepts uploadType=media`, 'invalid');
  }
  if (!name) {
    count(up.sinks.gcs, 0, body.length);
    return gcsError(res, 400, 'Required parameter: name', 'required');
  }
  const lines = countNdjsonLines(body);
  count(up.sinks.gcs, lines, body.length);
  countTenant(up, bucket, 'gcs', lines);
  const now = new Date().toISOString();
  const generation = String(Date.now() * 1000);
  const md5 = createHash('md5').update(body).digest('base64');
  const contentType = typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : 'application/octet-stream';
  const encName = encodeURIComponent(name);
  send(
    res,
    200,
    JSON.stringify({
      kind: 'storage#object',
      id: `${bucket}/${name}/${generation}`,
      selfLink: `https://www.googleapis.com/storage/v1/b/${bucket}/o/${encName}`,
      mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${bucket}/o/${encName}?generation=${generation}&alt=media`,
      name,
      bucket,
      generation,
      metageneration: '1',
      contentType,
      storageClass: 'STANDARD',
      size: String(body.length),
      md5Hash: md5,
      etag: md5.slice(0, 12),
      timeCreated: now,
      updated: now,
      timeStorageClassUpdated: now,
    }),
  );
}
