// Logging callbacks: gcs_bucket (GCS JSON API media upload of an NDJSON batch), langsmith
// (POST /runs/batch), webhook (POST a JSON array). onRequestDone only pushes the record into
// each sink's Batcher; the payload is built when the batch is sent, off the request path.
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { RequestRecord } from '../hooks.js';
import { Batcher, PermanentError, type BatcherCounters } from './batcher.js';
import type { CallbackSettings } from './settings.js';

export interface CallbackOptions {
  batchSize: number;
  intervalMs: number;
  maxQueue: number;
  log: (msg: string) => void;
}

interface Sink {
  name: string;
  success: boolean;
  failure: boolean;
  batcher: Batcher<RequestRecord>;
}

/** The payload every sink receives for one request (LiteLLM's StandardLoggingPayload, trimmed). */
export function loggingPayload(r: RequestRecord): Record<string, unknown> {
  const failed = r.status >= 400 || r.errorKind !== null;
  return {
    id: r.requestId,
    call_type: 'acompletion',
    status: failed ? 'failure' : 'success',
    model_group: r.modelGroup,
    model_id: r.deploymentId,
    api_base: r.apiBase,
    hashed_api_key: r.keyHash,
    end_user: r.user,
    stream: r.stream,
    cache_hit: r.cacheHit,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.promptTokens + r.completionTokens,
    response_cost: r.spend,
    startTime: r.startTimeMs / 1000,
    endTime: r.endTimeMs / 1000,
    response_time_ms: r.durationMs,
    litellm_overhead_time_ms: r.overheadMs,
    http_status: r.status,
    error_str: r.errorKind,
  };
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  const res = await request(url, { method: 'POST', body, headers, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = res.statusCode >= 300 ? (await res.body.text()).slice(0, 200) : (await res.body.dump(), '');
  if (res.statusCode < 300) return;
  const msg = `${url.split('?')[0]} answered ${res.statusCode}: ${text}`;
  if (res.statusCode === 429 || res.statusCode >= 500) throw new Error(msg);
  throw new PermanentError(msg);
}

let fileSeq = 0;
function gcsSender(log: (m: string) => void): ((items: RequestRecord[]) => Promise<void>) | null {
  const bucket = process.env.GCS_BUCKET_NAME;
  if (!bucket) {
    log('callback gcs_bucket: GCS_BUCKET_NAME is not set; the callback is off');
    return null;
  }
  const base = (process.env.STORAGE_EMULATOR_HOST ?? 'https://storage.googleapis.com').replace(/\/$/, '');
  const root = base.startsWith('http') ? base : `http://${base}`;
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (process.env.GCS_ACCESS_TOKEN) headers.authorization = `Bearer ${process.env.GCS_ACCESS_TOKEN}`;
  return (items) => {
    let body = '';
    for (const r of items) body += `${JSON.stringify(loggingPayload(r))}\n`;
    const day = new Date().toISOString().slice(0, 10);
    const name = `${day}/gatebench-${process.pid}-${Date.now()}-${++fileSeq}.ndjson`;
    return post(`${root}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=media&name=${encodeURIComponent(name)}`, body, headers);
  };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function dottedOrder(ms: number, id: string): string {
  const d = new Date(ms);
  const iso = d.toISOString(); // 2024-01-02T03:04:05.678Z
  const micros = String(Math.floor((ms % 1) * 1000)).padStart(3, '0');
  return `${iso.slice(0, 19).replace(/[-:]/g, '')}${iso.slice(20, 23)}${micros}Z${id}`;
}

function langsmithSender(log: (m: string) => void): ((items: RequestRecord[]) => Promise<void>) | null {
  const apiKey = process.env.LANGSMITH_API_KEY;
  if (!apiKey) {
    log('callback langsmith: LANGSMITH_API_KEY is not set; the callback is off');
    return null;
  }
  const base = (process.env.LANGSMITH_BASE_URL ?? 'https://api.smith.langchain.com').replace(/\/$/, '');
  const project = process.env.LANGSMITH_PROJECT ?? 'litellm-completion';
  const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
  return (items) => {
    const runs = items.map((r) => {
      const id = UUID_RE.test(r.requestId) ? r.requestId : randomUUID();
      const p = loggingPayload(r);
      return {
        id,
        trace_id: id,
        dotted_order: dottedOrder(r.startTimeMs, id),
        name: 'LLMRun',
        run_type: 'llm',
        session_name: project,
        start_time: new Date(r.startTimeMs).toISOString(),
        end_time: new Date(r.endTimeMs).toISOString(),
        inputs: { model: r.modelGroup, user: r.user },
        outputs: { usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens } },
        error: r.errorKind ?? undefined,
        extra: { metadata: p },
      };
    });
    return post(`${base}/runs/batch`, JSON.stringify({ post: runs }), headers);
  };
}

function webhookSender(url: string | null, log: (m: string) => void): ((items: RequestRecord[]) => Promise<void>) | null {
  if (!url) {
    log('callback webhook: no URL (GATEBENCH_WEBHOOK_URL or litellm_settings.callback_settings.webhook.url); the callback is off');
    return null;
  }
  const headers = { 'content-type': 'application/json' };
  return (items) => post(url, JSON.stringify(items.map(loggingPayload)), headers);
}

export class Callbacks {
  private readonly sinks: Sink[] = [];
  private readonly success: Sink[];
  private readonly failure: Sink[];

  constructor(s: CallbackSettings, o: CallbackOptions) {
    const names = new Set([...s.success, ...s.failure]);
    for (const name of names) {
      const send = name === 'gcs_bucket' ? gcsSender(o.log) : name === 'langsmith' ? langsmithSender(o.log) : name === 'webhook' || name === 'generic_api' ? webhookSender(s.webhookUrl, o.log) : undefined;
      if (send === undefined) {
        o.log(`callback ${name}: not supported by gatebench's proxy (gcs_bucket, langsmith, webhook are); ignored`);
        continue;
      }
      if (send === null) continue;
      const batcher = new Batcher<RequestRecord>({ name, batchSize: o.batchSize, intervalMs: o.intervalMs, maxQueue: o.maxQueue, log: o.log }, send);
      this.sinks.push({ name, success: s.success.includes(name), failure: s.failure.includes(name), batcher });
    }
    this.success = this.sinks.filter((x) => x.success);
    this.failure = this.sinks.filter((x) => x.failure);
  }

  get active(): boolean {
    return this.sinks.length > 0;
  }

  push(r: RequestRecord): void {
    const list = r.status >= 400 || r.errorKind !== null ? this.failure : this.success;
    for (let i = 0; i < list.length; i++) list[i].batcher.push(r);
  }

  snapshot(): Record<string, BatcherCounters> {
    const out: Record<string, BatcherCounters> = {};
    for (const s of this.sinks) out[s.name] = s.batcher.snapshot();
    return out;
  }

  async close(timeoutMs: number): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.batcher.close(timeoutMs)));
  }
}
