// `bench upstream`: flags → options, start, print the READY line the runner parses, and
// close on SIGTERM/SIGINT.
import { ERR_INVALID_ARG, ERR_SERVICE_START } from '../lib/errors.js';
import { loadUpstreamConfigFile, parseErrorRates, parseLatencySpec } from './config.js';
import { resolveOptions, startUpstream } from './index.js';
import type { UpstreamOptions } from './types.js';

export interface UpstreamFlags {
  port?: string;
  host?: string;
  latency?: string;
  ttft?: string;
  interTokenMs?: string;
  completionTokens?: string;
  errorRate?: string;
  hangRate?: string;
  resetRate?: string;
  faultMode?: string;
  seed?: string;
  ledgerCapacity?: string;
  bodyLimit?: string;
  concurrency?: string;
  config?: string;
}

function intFlag(flag: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw ERR_INVALID_ARG([flag, `${JSON.stringify(v)}: expected an integer from ${min} to ${max}`]);
  return n;
}

function numFlag(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw ERR_INVALID_ARG([flag, `${JSON.stringify(v)}: expected a number >= 0`]);
  return n;
}

function rateFlag(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw ERR_INVALID_ARG([flag, `${JSON.stringify(v)}: expected a fraction in [0, 1], like 0.05`]);
  return n;
}

/** Flags (and the --config file under them) → options. Throws GbError (exit 2). */
export function optionsFromFlags(flags: UpstreamFlags): UpstreamOptions {
  const base: Partial<UpstreamOptions> = flags.config ? loadUpstreamConfigFile(flags.config) : {};
  const o = resolveOptions(base);
  if (flags.port !== undefined) o.port = intFlag('--port', flags.port, 0, 65535);
  if (flags.host !== undefined) o.host = flags.host;
  if (flags.latency !== undefined) o.latency = parseLatencySpec(flags.latency, '--latency');
  if (flags.ttft !== undefined) o.stream.ttft = parseLatencySpec(flags.ttft, '--ttft');
  if (flags.interTokenMs !== undefined) o.stream.interTokenMs = numFlag('--inter-token-ms', flags.interTokenMs);
  if (flags.completionTokens !== undefined) o.completionTokens = intFlag('--completion-tokens', flags.completionTokens, 1, 100_000);
  if (flags.errorRate !== undefined) o.faults.errorRates = { ...o.faults.errorRates, ...parseErrorRates(flags.errorRate) };
  if (flags.hangRate !== undefined) o.faults.hangRate = rateFlag('--hang-rate', flags.hangRate);
  if (flags.resetRate !== undefined) o.faults.resetRate = rateFlag('--reset-rate', flags.resetRate);
  if (flags.faultMode !== undefined) {
    if (flags.faultMode !== 'random' && flags.faultMode !== 'every-nth') throw ERR_INVALID_ARG(['--fault-mode', `${JSON.stringify(flags.faultMode)}: expected random or every-nth`]);
    o.faults.mode = flags.faultMode;
  }
  if (flags.concurrency !== undefined) o.concurrency = intFlag('--concurrency', flags.concurrency, 0, 1_000_000);
  if (flags.seed !== undefined) o.faults.seed = intFlag('--seed', flags.seed, 0, 2 ** 32 - 1);
  if (flags.ledgerCapacity !== undefined) o.ledgerCapacity = intFlag('--ledger-capacity', flags.ledgerCapacity, 0, 100_000_000);
  if (flags.bodyLimit !== undefined) o.bodyLimitBytes = intFlag('--body-limit', flags.bodyLimit, 1, 2 ** 31 - 1);
  return o;
}

export async function runUpstreamCommand(flags: UpstreamFlags): Promise<void> {
  const opts = optionsFromFlags(flags);
  const up = await startUpstream(opts).catch((err: unknown) => {
    // e.g. EADDRINUSE: a clear one-line error rather than a stack.
    throw ERR_SERVICE_START(['upstream', `${opts.host}:${opts.port}: ${err instanceof Error ? err.message : String(err)}`], [], err);
  });
  process.stderr.write(`READY ${JSON.stringify({ service: 'upstream', url: up.url, pid: process.pid })}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      up.close().then(resolve, resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
