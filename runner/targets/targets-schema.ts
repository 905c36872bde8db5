// The `targets:` list of a scenario (zod): what a gateway comparison measures. Exported for
// the scenario schema (runner/scenario-schema.ts embeds it); strict objects so that a key
// given to the wrong kind of target is an error, not a silently ignored setting.
import { z } from 'zod';
import { tryParseDurationMs } from '../../lib/duration.js';
import type { TargetKind } from './types.js';

const name = z.string().min(1).optional().meta({ description: 'column name in the report (default: the type)' });
const headers = z.record(z.string(), z.string()).optional().meta({ description: 'extra request headers' });
const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, { error: 'expected an http(s) URL' });
const timeout = z
  .union([z.string(), z.number()])
  .refine((v) => tryParseDurationMs(v) !== null, { error: 'expected a duration like 30s' })
  .optional()
  .meta({ description: 'how long to wait for the target to be ready' });

const reference = z.strictObject({
  type: z.enum(['reference', 'proxy']).meta({ description: 'the reference proxy (bench proxy)' }),
  name,
  instances: z.number().int().positive().optional(),
  config: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .optional()
    .meta({ description: 'LiteLLM-style config (path or inline); default: one model routed to the fake upstream' }),
  headers,
  start_timeout: timeout,
});
const portkey = z.strictObject({
  type: z.literal('portkey').meta({ description: "Portkey's gateway from npm (@portkey-ai/gateway), --headless" }),
  name,
  headers,
  start_timeout: timeout,
});
const nginx = z.strictObject({
  type: z.literal('nginx').meta({ description: 'nginx proxy_pass with keep-alive: the floor of a proxy hop' }),
  name,
  keepalive: z.number().int().positive().optional().meta({ description: 'idle upstream connections kept per worker (default 64)' }),
  headers,
  start_timeout: timeout,
});
const direct = z.strictObject({
  type: z.literal('direct').meta({ description: 'straight to the fake upstream: the zero-overhead baseline' }),
  name,
  headers,
});
const url = z.strictObject({
  type: z.literal('url').meta({ description: 'any OpenAI-compatible base URL (…/v1)' }),
  name,
  url: httpUrl,
  api_key: z.string().optional().meta({ description: 'sent as Authorization: Bearer' }),
  headers,
  overhead_header: z.string().min(1).optional().meta({ description: 'response header with the gateway’s own overhead (ms)' }),
});
const litellm = z.strictObject({
  type: z.literal('litellm').meta({ description: 'LiteLLM: a command gatebench starts, or a URL where it already runs' }),
  name,
  command: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'shell command; {config} and {port} are replaced (also env CONFIG, PORT)' }),
  url: httpUrl.optional().meta({ description: 'base URL of a LiteLLM already running (…/v1 or the origin)' }),
  api_key: z.string().optional().meta({ description: 'sent as Authorization: Bearer (the master key)' }),
  headers,
  start_timeout: timeout,
});

export const gatewayTargetSchema = z.discriminatedUnion('type', [reference, portkey, nginx, direct, url, litellm], {
  error: 'expected a target with type reference, portkey, nginx, direct, url or litellm',
});
export const gatewayTargetsSchema = z.array(gatewayTargetSchema).min(1, { error: 'expected at least one target' });

export type GatewayTargetSpec = z.output<typeof gatewayTargetSchema>;
export type ReferenceSpec = z.output<typeof reference>;
export type PortkeySpec = z.output<typeof portkey>;
export type NginxSpec = z.output<typeof nginx>;
export type DirectSpec = z.output<typeof direct>;
export type UrlSpec = z.output<typeof url>;
export type LitellmSpec = z.output<typeof litellm>;

export function kindOf(spec: GatewayTargetSpec): TargetKind {
  return spec.type === 'proxy' ? 'reference' : spec.type;
}

/** Column names: the given name, else the kind, suffixed (-2, -3) when repeated. */
export function targetNames(specs: readonly GatewayTargetSpec[]): string[] {
  const seen = new Map<string, number>();
  return specs.map((s) => {
    const base = s.name ?? kindOf(s);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

/** The scenario's `compare:` section: how the targets' load is split into interleaved rounds. */
export const compareSchema = z
  .strictObject({
    round: z
      .union([z.string(), z.number()])
      .refine((v) => tryParseDurationMs(v) !== null, { error: 'expected a duration like 10s' })
      .optional()
      .meta({ description: 'length of one round (default 10s); load.duration is each target’s measured time' }),
    rounds: z.number().int().positive().optional().meta({ description: 'rounds per target (default: load.duration / round; for a matrix at least 5)' }),
    interleave: z.boolean().optional().meta({ description: 'a matrix: run its variants interleaved in rounds (default true with two or more variants); false runs them one after another' }),
  })
  .meta({ description: 'targets (gateway comparison) and a matrix\'s variants run interleaved in short rounds (A B C A B C …) so the machine\'s drift falls on all alike' });
export type CompareSettings = z.output<typeof compareSchema>;

export const DEFAULT_ROUND_MS = 10_000;

/** Rounds per target and round length: `durationMs` of measured load per target. */
export function roundPlan(durationMs: number, settings: CompareSettings = {}): { rounds: number; roundMs: number } {
  const roundMs = settings.round !== undefined ? (tryParseDurationMs(settings.round) ?? DEFAULT_ROUND_MS) : DEFAULT_ROUND_MS;
  if (settings.rounds !== undefined) return { rounds: settings.rounds, roundMs };
  if (durationMs <= roundMs) return { rounds: 1, roundMs: durationMs };
  return { rounds: Math.round(durationMs / roundMs), roundMs };
}
