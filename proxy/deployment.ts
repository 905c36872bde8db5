// One upstream deployment (a model_list entry, or one added at runtime): its normalised URL,
// the request headers built once, its undici Pool (shared by deployments on the same
// origin), and the counters routing and cooldown read.
import { createHash } from 'node:crypto';
import { Pool } from 'undici';

export const DEFAULT_API_BASE = 'https://api.openai.com/v1';

export interface DeploymentInit {
  id: string | undefined;
  modelName: string;
  /** litellm_params, validated */
  params: {
    model: string;
    api_base?: string;
    api_key?: string;
    rpm?: number;
    tpm?: number;
    timeout?: number;
    stream_timeout?: number;
    max_retries?: number;
    weight?: number;
    input_cost_per_token?: number;
    output_cost_per_token?: number;
  };
}

export interface ApiBase {
  origin: string;
  /** path before the endpoint, without a trailing slash ('' or '/v1' …) */
  basePath: string;
  search: string;
  /** as shown in x-litellm-model-api-base */
  display: string;
}

/**
 * LiteLLM's openai/ provider hands api_base to the OpenAI client, which appends
 * `/chat/completions`: `http://h/v1` → `http://h/v1/chat/completions`, `http://h` →
 * `http://h/chat/completions` (no /v1 is added). Configs like the seed's also put the full
 * endpoint in api_base, so a trailing `/chat/completions` (or `/embeddings`) is stripped.
 */
export function splitApiBase(apiBase: string | undefined): ApiBase {
  const u = new URL(apiBase ?? DEFAULT_API_BASE);
  let path = u.pathname.replace(/\/+$/, '');
  for (const suffix of ['/chat/completions', '/embeddings']) {
    if (path.endsWith(suffix)) {
      path = path.slice(0, -suffix.length);
      break;
    }
  }
  return { origin: u.origin, basePath: path, search: u.search, display: `${u.origin}${path}` };
}

export function deploymentId(modelName: string, params: object): string {
  return createHash('sha256').update(modelName).update(JSON.stringify(params)).digest('hex').slice(0, 32);
}

export interface PoolOptions {
  connections: number | null;
}

export class Deployment {
  readonly id: string;
  readonly modelName: string;
  /** the model name sent upstream (`openai/gpt-4o` → `gpt-4o`) */
  readonly upstreamModel: string;
  /** JSON of upstreamModel, spliced into request bodies in place of the group name */
  readonly upstreamModelJson: Buffer;
  readonly apiBase: string;
  readonly chatPath: string;
  readonly embeddingsPath: string;
  /** flat undici header list, built once: content-type, authorization */
  readonly headers: string[];
  readonly pool: Pool;
  readonly rpm: number;
  readonly tpm: number;
  readonly weight: number;
  readonly timeoutMs: number | null;
  readonly streamTimeoutMs: number | null;
  readonly maxRetries: number | null;
  readonly inputCost: number;
  readonly outputCost: number;
  /** requests in flight to this deployment (least-busy) */
  inFlight = 0;
  failCount = 0;
  failWindowStart = 0;
  cooldownUntil = 0;

  constructor(init: DeploymentInit, pool: Pool) {
    const p = init.params;
    this.modelName = init.modelName;
    this.id = init.id ?? deploymentId(init.modelName, p);
    this.upstreamModel = p.model.startsWith('openai/') ? p.model.slice('openai/'.length) : p.model;
    this.upstreamModelJson = Buffer.from(JSON.stringify(this.upstreamModel));
    const base = splitApiBase(p.api_base);
    this.apiBase = base.display;
    this.chatPath = `${base.basePath}/chat/completions${base.search}`;
    this.embeddingsPath = `${base.basePath}/embeddings${base.search}`;
    this.headers = ['content-type', 'application/json'];
    if (p.api_key) this.headers.push('authorization', `Bearer ${p.api_key}`);
    this.pool = pool;
    this.rpm = p.rpm ?? 0;
    this.tpm = p.tpm ?? 0;
    this.weight = p.weight ?? 0;
    this.timeoutMs = p.timeout !== undefined ? p.timeout * 1000 : null;
    this.streamTimeoutMs = p.stream_timeout !== undefined ? p.stream_timeout * 1000 : null;
    this.maxRetries = p.max_retries ?? null;
    this.inputCost = p.input_cost_per_token ?? 0;
    this.outputCost = p.output_cost_per_token ?? 0;
  }
}

/** One keep-alive Pool per upstream origin, shared by the deployments on it. */
export class PoolSet {
  private readonly pools = new Map<string, Pool>();
  constructor(private readonly opts: PoolOptions) {}

  get(apiBase: string | undefined): Pool {
    const origin = splitApiBase(apiBase).origin;
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.opts.connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        // per-request timeouts are set on each dispatch from the deployment's settings
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.close().catch(() => p.destroy())));
  }
}
