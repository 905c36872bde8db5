// Model groups → deployments: routing (simple-shuffle weighted by weight/rpm/tpm, or
// least-busy), cooldown of failing deployments, fallbacks, and deployments added at runtime
// (POST /model/new, hooks.loadDeployments). The pick for a one-deployment group is free.
import { ERR_INVALID_CONFIG } from '../lib/errors.js';
import { looseSchemas } from './config-schema.js';
import { resolveEnv, type ProxyConfig } from './config.js';
import { Deployment, PoolSet, type DeploymentInit } from './deployment.js';
import type { DeploymentSpec } from './hooks.js';
import { zodProblems } from '../lib/zod-problems.js';

export type RoutingStrategy = 'simple-shuffle' | 'least-busy';

export interface RouterSettings {
  strategy: RoutingStrategy;
  numRetries: number;
  timeoutMs: number;
  allowedFails: number;
  cooldownMs: number;
  fallbacks: Map<string, string[]>;
}

// LiteLLM's defaults: 600 s timeout, 3 allowed fails a minute, 5 s cooldown.
const DEFAULT_TIMEOUT_S = 600;
const DEFAULT_ALLOWED_FAILS = 3;
const DEFAULT_COOLDOWN_S = 5;
const FAIL_WINDOW_MS = 60_000;

export function routerSettings(cfg: ProxyConfig): RouterSettings {
  const r = cfg.router_settings;
  const l = cfg.litellm_settings;
  const fallbacks = new Map<string, string[]>();
  for (const entry of r.fallbacks ?? []) for (const [from, to] of Object.entries(entry)) fallbacks.set(from, to);
  return {
    strategy: r.routing_strategy ?? 'simple-shuffle',
    numRetries: r.num_retries ?? l.num_retries ?? 0,
    timeoutMs: (r.timeout ?? l.request_timeout ?? DEFAULT_TIMEOUT_S) * 1000,
    allowedFails: r.allowed_fails ?? DEFAULT_ALLOWED_FAILS,
    cooldownMs: (r.cooldown_time ?? DEFAULT_COOLDOWN_S) * 1000,
    fallbacks,
  };
}

export class Router {
  readonly groups = new Map<string, Deployment[]>();
  readonly byId = new Map<string, Deployment>();
  readonly settings: RouterSettings;
  private readonly pools: PoolSet;

  constructor(config: ProxyConfig, opts: { connections: number | null }) {
    this.settings = routerSettings(config);
    this.pools = new PoolSet(opts);
    for (const m of config.model_list) this.add({ id: m.model_info?.id, modelName: m.model_name, params: m.litellm_params });
  }

  private add(init: DeploymentInit): Deployment {
    const d = new Deployment(init, this.pools.get(init.params.api_base));
    const old = this.byId.get(d.id);
    if (old) this.removeDeployment(old.id);
    this.byId.set(d.id, d);
    const group = this.groups.get(d.modelName);
    if (group) group.push(d);
    else this.groups.set(d.modelName, [d]);
    return d;
  }

  /** Adds (or replaces, by model_info.id) a deployment at runtime. Throws GbError when invalid. */
  addDeployment(spec: DeploymentSpec): Deployment {
    const problems: string[] = [];
    const resolved = resolveEnv(spec.litellmParams, problems, ['litellm_params']);
    const parsed = looseSchemas.litellmParams.safeParse(resolved);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, ['litellm_params']));
    } else if (parsed.data.model.includes('/') && !parsed.data.model.startsWith('openai/')) {
      problems.push('litellm_params.model: only openai-compatible deployments (openai/<model>) are supported');
    }
    if (!spec.modelName) problems.push('model_name: expected a model name');
    if (problems.length > 0 || !parsed.success) throw ERR_INVALID_CONFIG(['deployment', String(problems.length)], problems);
    return this.add({ id: spec.modelInfo?.id, modelName: spec.modelName, params: parsed.data });
  }

  removeDeployment(id: string): boolean {
    const d = this.byId.get(id);
    if (!d) return false;
    this.byId.delete(id);
    const group = this.groups.get(d.modelName);
    if (group) {
      const rest = group.filter((x) => x !== d);
      if (rest.length > 0) this.groups.set(d.modelName, rest);
      else this.groups.delete(d.modelName);
    }
    return true;
  }

  modelNames(): string[] {
    return [...this.groups.keys()];
  }

  isCoolingDown(id: string, now = Date.now()): boolean {
    const d = this.byId.get(id);
    return d !== undefined && d.cooldownUntil > now;
  }

  /**
   * A deployment of `group`, avoiding those already `tried` and those cooling down. When
   * every untried one is cooling down they are used anyway (a slow answer beats none);
   * when all were tried, any may be tried again.
   */
  pick(group: Deployment[], tried: Deployment[] | null, now: number): Deployment {
    if (group.length === 1) return group[0];
    let candidates = group.filter((d) => d.cooldownUntil <= now && (tried === null || !tried.includes(d)));
    if (candidates.length === 0 && tried !== null) candidates = group.filter((d) => !tried.includes(d));
    if (candidates.length === 0) candidates = group;
    if (candidates.length === 1) return candidates[0];
    return this.settings.strategy === 'least-busy' ? leastBusy(candidates) : weightedShuffle(candidates);
  }

  /** A failed attempt (429, 5xx, connection error, timeout) counts towards cooldown. */
  markFailure(d: Deployment, now: number): void {
    if (now - d.failWindowStart > FAIL_WINDOW_MS) {
      d.failWindowStart = now;
      d.failCount = 0;
    }
    d.failCount++;
    if (d.failCount > this.settings.allowedFails) {
      d.cooldownUntil = now + this.settings.cooldownMs;
      d.failCount = 0;
      d.failWindowStart = now;
    }
  }

  close(): Promise<void> {
    return this.pools.close();
  }
}

function leastBusy(candidates: Deployment[]): Deployment {
  let best = candidates[0];
  for (let i = 1; i < candidates.length; i++) if (candidates[i].inFlight < best.inFlight) best = candidates[i];
  return best;
}

/** LiteLLM's simple-shuffle: weighted by `weight` if any has one, else rpm, else tpm, else uniform. */
function weightedShuffle(candidates: Deployment[]): Deployment {
  const key: 'weight' | 'rpm' | 'tpm' | null = candidates.some((d) => d.weight > 0)
    ? 'weight'
    : candidates.some((d) => d.rpm > 0)
      ? 'rpm'
      : candidates.some((d) => d.tpm > 0)
        ? 'tpm'
        : null;
  if (key === null) return candidates[Math.floor(Math.random() * candidates.length)];
  let total = 0;
  for (const d of candidates) total += d[key];
  let r = Math.random() * total;
  for (const d of candidates) {
    r -= d[key];
    if (r < 0) return d;
  }
  return candidates[candidates.length - 1];
}
