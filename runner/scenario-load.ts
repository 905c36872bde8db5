// Loading a scenario: YAML → ${ENV} interpolation → zod validation (every problem, each with
// its path and line) → a resolved Scenario with defaults filled in and durations in ms.
// The defaults are the seed's load: 1000 users spawned 500 a second, 0.5–1 s between
// requests, the ~11 KB uuid-prefixed prompt, the overhead header recorded; 60 s measured.
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { parseDurationMs } from '../lib/duration.js';
import { ERR_FILE_READ, ERR_INVALID_SCENARIO } from '../lib/errors.js';
import type { CompareSettings, GatewayTargetSpec } from './targets/targets-schema.js';
import { parseThresholdSpec } from '../reports/thresholds/index.js';
import { scenarioSchema, type CallbacksSetting, type MatrixInput, type RedisSetting, type TemplateInput } from './scenario-schema.js';
import { formatPath, issueProblems } from '../lib/zod-problems.js';
import { OVERHEAD_HEADER } from '../lib/measure.js';
import { resolveCapacity, type CapacitySettings } from './capacity/capacity-schema.js';

export const SEED_MODEL = 'db-openai-endpoint';
export const DEFAULT_MASTER_KEY = 'sk-1234';

export interface Scenario {
  file: string;
  name: string;
  description: string;
  upstream: { latency: string; ttft: string | null; interTokenMs: number | null; errorRate: Record<string, number>; hangRate: number; config: string | null; /** the fake upstream's service capacity (--concurrency), 0 = none */ concurrency?: number };
  proxy: {
    instances: number;
    workers: number;
    /** inline config object, or an absolute path to a config file */
    config: Record<string, unknown> | string | null;
    database: string;
    redis: RedisSetting;
    callbacks: string[];
    masterKey: string;
    setup: { key: boolean; model: string | null };
  };
  load: {
    model: 'closed' | 'open';
    users: number;
    spawnRate: number;
    wait: { between?: [number, number]; constant?: number; constant_pacing?: number };
    rate: number | null;
    stages: { durationMs: number; target: number }[] | null;
    maxInFlight: number | null;
    /** load-generator worker threads */
    workers: number;
    durationMs: number;
    timeoutMs: number;
    requests: TemplateInput[];
    recordHeaders: string[];
  };
  matrix: MatrixInput;
  warmup: { durationMs: number };
  /** the scenario's thresholds as written (validated here, evaluated by reports/thresholds) */
  thresholds: unknown;
  targets: GatewayTargetSpec[];
  compare: CompareSettings;
  /** the capacity search (runner/capacity), null when the scenario has no `capacity:` */
  capacity: CapacitySettings | null;
}

export interface Overrides {
  durationMs?: number;
  users?: number;
  spawnRate?: number;
  warmupMs?: number;
}

export interface LoadOutcome {
  scenario: Scenario | null;
  problems: string[];
}

const ENV_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_ENV_RE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

export interface PathProblem {
  path: (string | number)[];
  message: string;
}

/** Replaces ${VAR} and ${VAR:-default} in every string; a value that was only a ${…} and reads as a number or boolean becomes one. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: (string | number)[], problems: PathProblem[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const out = value.replace(ENV_RE, (_m, name: string, def: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (def !== undefined) return def;
      problems.push({ path, message: `environment variable ${name} is not set (use \${${name}:-default} for a default)` });
      return '';
    });
    if (WHOLE_ENV_RE.test(value)) {
      if (/^-?\d+(\.\d+)?$/.test(out)) return Number(out);
      if (out === 'true' || out === 'false') return out === 'true';
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, i], problems));
  if (value && typeof value === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) o[k] = interpolateEnv(v, env, [...path, k], problems);
    return o;
  }
  return value;
}

function lineOf(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): number | null {
  // Walk up until a node exists (a missing key is reported at its parent's line).
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return null;
}

/** Validates scenario text; never throws for a bad scenario, returns every problem instead. */
export function parseScenario(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadOutcome {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      scenario: null,
      problems: doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? "?"}: YAML: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (err) {
    // yaml refuses alias bombs ("billion laughs") and the like only here, when resolving
    return { scenario: null, problems: [`(file): YAML: ${(err as Error).message}`] };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) return { scenario: null, problems: ['(root): expected a mapping of sections (upstream, proxy, load, …)'] };
  const found: PathProblem[] = [];
  const data = interpolateEnv(raw, env, [], found);
  // a value whose ${VAR} is unset is reported once, not again as an invalid value
  const envPaths = new Set(found.map((p) => formatPath(p.path)));
  const parsed = scenarioSchema.safeParse(data);
  if (!parsed.success) {
    for (const { path, message } of issueProblems(parsed.error.issues)) {
      if (!envPaths.has(formatPath(path))) found.push({ path: path as (string | number)[], message: lowerFirst(message) });
    }
  }
  const s = parsed.success ? parsed.data : null;
  if (s) checkCombinations(s, found);
  const problems = found
    .map((p) => ({ ...p, line: lineOf(doc, lc, p.path) }))
    .sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9))
    .map((p) => `${formatPath(p.path)}: ${p.message}${p.line ? ` (line ${p.line})` : ''}`);
  if (s?.thresholds !== undefined) {
    const line = lineOf(doc, lc, ['thresholds']);
    for (const p of parseThresholdSpec(s.thresholds).problems) problems.push(`${p}${line ? ` (thresholds at line ${line})` : ''}`);
  }
  if (problems.length > 0 || !s) return { scenario: null, problems };
  return { scenario: resolveScenario(s, file), problems: [] };
}

function lowerFirst(s: string): string {
  return s.replace(/^Invalid input: /, '').replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
}

type Parsed = z.infer<typeof scenarioSchema>;

/** Rules across fields that a per-field schema cannot express. */
function checkCombinations(s: Parsed, problems: PathProblem[]): void {
  const l = s.load;
  const add = (path: string[], message: string) => problems.push({ path, message });
  if (l?.model === 'open' && l.rate === undefined && l.stages === undefined) add(['load', 'model'], 'an open model needs rate or stages');
  if (l?.model === 'open' && l.rate !== undefined && l.stages !== undefined) add(['load', 'stages'], 'give rate or stages, not both');
  if (l?.model !== 'open' && (l?.rate !== undefined || l?.stages !== undefined)) add(['load', l?.rate !== undefined ? 'rate' : 'stages'], 'rate and stages need model: open');
  const b = l?.wait?.between;
  if (b && b[0] > b[1]) add(['load', 'wait', 'between'], 'expected [min, max] with min <= max');
  if (l?.wait && Object.keys(l.wait).length !== 1) add(['load', 'wait'], 'expected exactly one of between, constant, constant_pacing');
  // the search measures targets; the variant matrix has no turn-taking of its own
  if (s.capacity && !s.targets) add(['capacity'], 'a capacity search needs targets: (the gateways whose frontier it measures)');
  const c = s.capacity;
  if (c?.start_rate !== undefined && c.max_rate !== undefined && c.start_rate > c.max_rate) add(['capacity', 'start_rate'], `expected at most max_rate (${c.max_rate})`);
}

export function callbacksList(c: CallbacksSetting | undefined): string[] {
  if (c === undefined || c === 'none') return [];
  return Array.isArray(c) ? [...c] : [c];
}

function resolveScenario(s: Parsed, file: string): Scenario {
  const base = dirname(resolve(file));
  const cfg = s.proxy?.config;
  const warm = s.warmup;
  return {
    file,
    name: s.name ?? file.replace(/^.*\//, '').replace(/\.ya?ml$/, ''),
    description: s.description ?? '',
    upstream: {
      latency: s.upstream?.latency ?? 'fixed:50',
      ttft: s.upstream?.ttft ?? null,
      interTokenMs: s.upstream?.inter_token_ms ?? null,
      errorRate: s.upstream?.error_rate ?? {},
      hangRate: s.upstream?.hang_rate ?? 0,
      config: s.upstream?.config ? resolve(base, s.upstream.config) : null,
      concurrency: s.upstream?.concurrency ?? 0,
    },
    proxy: {
      instances: s.proxy?.instances ?? 1,
      workers: s.proxy?.workers ?? 1,
      config: typeof cfg === 'string' ? resolve(base, cfg) : (cfg ?? null),
      database: s.proxy?.database ?? 'embedded',
      redis: s.proxy?.redis ?? 'off',
      callbacks: callbacksList(s.proxy?.callbacks),
      masterKey: s.proxy?.master_key ?? DEFAULT_MASTER_KEY,
      setup: { key: s.proxy?.setup?.key ?? true, model: s.proxy?.setup?.model ?? SEED_MODEL },
    },
    load: {
      model: s.load?.model ?? 'closed',
      users: s.load?.users ?? 1000,
      spawnRate: s.load?.spawn_rate ?? 500,
      wait: s.load?.wait ?? { between: [0.5, 1] },
      rate: s.load?.rate ?? null,
      stages: s.load?.stages?.map((st) => ({ durationMs: parseDurationMs(st.duration), target: st.target })) ?? null,
      maxInFlight: s.load?.max_in_flight ?? null,
      workers: s.load?.workers ?? 1,
      durationMs: parseDurationMs(s.load?.duration ?? '60s'),
      timeoutMs: parseDurationMs(s.load?.timeout ?? '30s'),
      requests: s.load?.requests ?? [{ name: '/chat/completions', method: 'POST', path: '/chat/completions', body: 'seed' }],
      recordHeaders: s.load?.record_headers ?? [OVERHEAD_HEADER],
    },
    matrix: s.matrix ?? {},
    warmup:
      warm === undefined
        ? { durationMs: 5000 }
        : { durationMs: parseDurationMs(typeof warm === 'object' ? warm.duration : warm) },
    thresholds: s.thresholds,
    targets: s.targets ?? [],
    compare: s.compare ?? {},
    capacity: s.capacity ? resolveCapacity(s.capacity) : null,
  };
}

export function applyOverrides(s: Scenario, o: Overrides): Scenario {
  return {
    ...s,
    load: {
      ...s.load,
      durationMs: o.durationMs ?? s.load.durationMs,
      users: o.users ?? s.load.users,
      spawnRate: o.spawnRate ?? s.load.spawnRate,
    },
    warmup: { ...s.warmup, durationMs: o.warmupMs ?? s.warmup.durationMs },
  };
}

/** Reads and validates a scenario file; throws GB_ERR_INVALID_SCENARIO listing every problem. */
export function loadScenario(file: string, env: NodeJS.ProcessEnv = process.env): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw ERR_FILE_READ([file, (err as Error).message]);
  }
  const { scenario, problems } = parseScenario(text, file, env);
  if (!scenario) throw ERR_INVALID_SCENARIO([file, String(problems.length)], problems);
  return scenario;
}
