// The variant matrix: the cartesian product of the scenario's `matrix` lists, applied over
// its base settings. Pure functions, so expansion and filtering are tested without servers.
import { ERR_INVALID_ARG } from '../lib/errors.js';
import type { RedisSetting, MatrixInput, CallbacksSetting } from './scenario-schema.js';
import { callbacksList, type Scenario } from './scenario-load.js';

export interface VariantSettings {
  instances: number;
  workers: number;
  redis: RedisSetting;
  callbacks: string[];
  database: string;
  users: number;
  latency: string;
}

export interface Variant {
  /** `instances=4,redis=off,callbacks=none` — only the keys the matrix varies */
  name: string;
  /** the matrix keys and the value each takes in this variant, for naming and filtering */
  axes: Record<string, string>;
  settings: VariantSettings;
}

type AxisKey = keyof MatrixInput;
const AXIS_ORDER: AxisKey[] = ['instances', 'workers', 'redis', 'callbacks', 'database', 'users', 'latency'];

export function callbacksLabel(c: string[]): string {
  return c.length === 0 ? 'none' : c.join('+');
}

function label(key: AxisKey, value: unknown): string {
  if (key === 'callbacks') return callbacksLabel(callbacksList(value as CallbacksSetting));
  if (key === 'database' && value !== 'embedded') return 'url';
  if (key === 'redis' && typeof value === 'string' && value.includes('://')) return 'url';
  return String(value);
}

function apply(settings: VariantSettings, key: AxisKey, value: unknown): VariantSettings {
  switch (key) {
    case 'callbacks':
      return { ...settings, callbacks: callbacksList(value as CallbacksSetting) };
    case 'redis':
      return { ...settings, redis: value as RedisSetting };
    default:
      return { ...settings, [key]: value } as VariantSettings;
  }
}

export function baseSettings(s: Scenario): VariantSettings {
  return {
    instances: s.proxy.instances,
    workers: s.proxy.workers,
    redis: s.proxy.redis,
    callbacks: s.proxy.callbacks,
    database: s.proxy.database,
    users: s.load.users,
    latency: s.upstream.latency,
  };
}

/** Expands the matrix; with no matrix there is one variant named after the scenario. */
export function expandMatrix(s: Scenario): Variant[] {
  const axes = AXIS_ORDER.filter((k) => (s.matrix[k]?.length ?? 0) > 0);
  if (axes.length === 0) return [{ name: s.name, axes: {}, settings: baseSettings(s) }];
  let out: Variant[] = [{ name: '', axes: {}, settings: baseSettings(s) }];
  for (const key of axes) {
    const values = s.matrix[key] as unknown[];
    const next: Variant[] = [];
    for (const v of out) {
      for (const value of values) {
        next.push({ name: '', axes: { ...v.axes, [key]: label(key, value) }, settings: apply(v.settings, key, value) });
      }
    }
    out = next;
  }
  for (const v of out) v.name = Object.entries(v.axes).map(([k, val]) => `${k}=${val}`).join(',');
  return out;
}

/**
 * `--variants` filter. `instances=4` keeps variants whose instances axis is 4;
 * `redis=off|spawn` accepts either; terms joined by `,` must all match. A filter with no
 * `=` matches variant names containing it. Unknown keys are an error, as is a filter that
 * keeps nothing (a typo should not silently run zero variants).
 */
export function filterVariants(variants: Variant[], filter: string | undefined): Variant[] {
  if (!filter) return variants;
  let kept: Variant[];
  if (!filter.includes('=')) {
    kept = variants.filter((v) => v.name.includes(filter));
  } else {
    const terms = filter.split(',').map((t) => t.trim()).filter(Boolean);
    const known = new Set(variants.flatMap((v) => Object.keys(v.axes)));
    const parsed = terms.map((t) => {
      const [k, vals] = t.split('=', 2);
      if (!known.has(k)) {
        throw ERR_INVALID_ARG(['--variants', `${k} is not a matrix key of this scenario (keys: ${[...known].join(', ') || 'none'})`]);
      }
      return { k, vals: (vals ?? '').split('|') };
    });
    kept = variants.filter((v) => parsed.every(({ k, vals }) => vals.includes(v.axes[k])));
  }
  if (kept.length === 0) {
    throw ERR_INVALID_ARG(['--variants', `${JSON.stringify(filter)} matches none of: ${variants.map((v) => v.name).join('; ')}`]);
  }
  return kept;
}
