// `bench load <url> …`: the load generator on its own, usable like autocannon or hey.
// Flags are turned into LoadOptions and validated by the same schema the runner uses, so
// a bad flag is reported with every other problem at once (exit code 2).
import { readFile } from 'node:fs/promises';
import { ERR_FILE_READ, ERR_INVALID_ARG } from '../lib/errors.js';
import { tryParseDurationMs } from '../lib/duration.js';
import type { ClosedModelConfig, LoadOptions, OpenModelConfig, RequestTemplateConfig, WaitConfig } from './config.js';
import { validateLoadOptions } from './config.js';
import { startLoad } from './run.js';
import { SEED_TEMPLATE } from './seed.js';
import { OVERHEAD_HEADER } from '../lib/measure.js';
import { renderSeedTable } from '../reports/seed-table.js';

export interface LoadFlags {
  users?: string;
  spawnRate?: string;
  wait?: string;
  rate?: string;
  connections?: string;
  maxInFlight?: string;
  duration: string;
  warmup?: string;
  method?: string;
  path?: string;
  body?: string;
  header: string[];
  seedBody?: boolean;
  stream?: boolean;
  recordHeader: string[];
  overheadHeader?: string;
  timeout: string;
  errorLog?: string;
  workers?: string;
  requestId: boolean;
  json?: boolean;
}

function num(flag: string, v: string | undefined, problems: string[], integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    problems.push(`--${flag}: expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return n;
}

function dur(flag: string, v: string | undefined, problems: string[]): number | undefined {
  if (v === undefined) return undefined;
  const ms = tryParseDurationMs(v);
  if (ms === null) problems.push(`--${flag}: invalid duration ${JSON.stringify(v)} (like 500ms, 30s, 5m)`);
  return ms ?? undefined;
}

/** `0.5-1` → between, `2` → constant, `pacing:1` → constant_pacing, `throughput:2` → constant_throughput (seconds). */
export function parseWait(v: string): WaitConfig | null {
  let m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(v);
  if (m) return Number(m[1]) <= Number(m[2]) ? { between: [Number(m[1]), Number(m[2])] } : null;
  m = /^(?:(pacing|throughput):)?(\d+(?:\.\d+)?)$/.exec(v);
  if (!m) return null;
  const x = Number(m[2]);
  if (m[1] === 'pacing') return { constant_pacing: x };
  if (m[1] === 'throughput') return x > 0 ? { constant_throughput: x } : null;
  return { constant: x };
}

export async function buildLoadOptions(url: string, f: LoadFlags): Promise<LoadOptions> {
  const problems: string[] = [];
  const urls = url.split(',').map((s) => s.trim()).filter(Boolean);
  const parsed: URL[] = [];
  for (const u of urls) {
    try {
      parsed.push(new URL(u));
    } catch {
      problems.push(`<url>: ${JSON.stringify(u)} is not a URL (like http://127.0.0.1:4000/chat/completions)`);
    }
  }
  const urlPath = parsed[0] ? parsed[0].pathname + parsed[0].search : '/';
  if (parsed.some((p) => p.pathname + p.search !== urlPath)) problems.push('<url>: comma-separated targets must share one path');

  if (f.rate !== undefined && (f.users !== undefined || f.spawnRate !== undefined || f.wait !== undefined))
    problems.push('--rate (open model) cannot be combined with --users, --spawn-rate or --wait (closed model)');
  let model: ClosedModelConfig | OpenModelConfig;
  if (f.rate !== undefined) {
    const o: OpenModelConfig = { kind: 'open', rate: num('rate', f.rate, problems) ?? 1 };
    const c = num('connections', f.connections, problems, true);
    const m = num('max-in-flight', f.maxInFlight, problems, true);
    if (c) o.connections = c;
    if (m) o.maxInFlight = m;
    model = o;
  } else {
    const users = num('users', f.users, problems, true) ?? 10;
    const wait = f.wait === undefined ? { constant: 0 } : parseWait(f.wait);
    if (wait === null) problems.push(`--wait: expected MIN-MAX, SECONDS, pacing:SECONDS or throughput:PER_SECOND, got ${JSON.stringify(f.wait)}`);
    model = { kind: 'closed', users, spawnRate: num('spawn-rate', f.spawnRate, problems) ?? users, wait: wait ?? { constant: 0 } };
  }

  let template: RequestTemplateConfig = f.seedBody ? { ...SEED_TEMPLATE, headers: { ...SEED_TEMPLATE.headers } } : { method: 'GET', path: '/' };
  if (urlPath !== '/' || !f.seedBody) template.path = urlPath;
  if (f.path) template.path = f.path;
  if (!f.seedBody) template.name = undefined;
  if (f.method) template.method = f.method.toUpperCase();
  if (f.body) {
    let text: string;
    try {
      text = await readFile(f.body, 'utf8');
    } catch (err) {
      throw ERR_FILE_READ([f.body, (err as Error).message]);
    }
    try {
      template = { ...template, body: JSON.parse(text) as unknown, rawBody: undefined };
    } catch {
      template = { ...template, rawBody: text, body: undefined };
    }
    if (!f.method) template.method = 'POST';
  }
  const headers: Record<string, string> = { ...(template.headers ?? {}) };
  for (const h of f.header) {
    const i = h.indexOf(':');
    if (i <= 0) problems.push(`--header: expected 'Name: value', got ${JSON.stringify(h)}`);
    else headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  template.headers = headers;
  if (f.stream) template.stream = true;
  if (template.name === undefined) delete template.name;
  if (template.body === undefined) delete template.body;
  if (template.rawBody === undefined) delete template.rawBody;

  const durationMs = dur('duration', f.duration, problems);
  const warmupMs = dur('warmup', f.warmup, problems);
  const timeoutMs = dur('timeout', f.timeout, problems);
  const workers = num('workers', f.workers, problems, true);
  if (workers !== undefined && workers > 64) problems.push(`--workers: at most 64, got ${workers}`);
  if (problems.length) throw ERR_INVALID_ARG(['arguments', `${problems.length} problem(s)`], problems);

  return {
    targets: parsed.map((p) => p.origin),
    model,
    durationMs: durationMs!,
    warmupMs: warmupMs ?? 0,
    templates: [template],
    // the seed's Locust script records the overhead header: so does --seed-body, unless told otherwise
    recordHeaders: f.recordHeader.length === 0 && f.seedBody ? [f.overheadHeader ?? OVERHEAD_HEADER] : f.recordHeader,
    ...(f.overheadHeader ? { overheadHeader: f.overheadHeader } : {}),
    requestTimeoutMs: timeoutMs,
    requestIdHeader: f.requestId,
    ...(f.errorLog ? { errorLog: { path: f.errorLog } } : {}),
    ...(workers ? { workers } : {}),
    progress: true,
  };
}

export async function loadCommand(url: string, f: LoadFlags): Promise<void> {
  const opts = validateLoadOptions(await buildLoadOptions(url, f), 'bench load');
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  try {
    const run = startLoad({ ...opts, signal: ac.signal, progress: true });
    const result = await run.result;
    if (f.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else process.stdout.write(renderSeedTable(result) + '\n');
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}
