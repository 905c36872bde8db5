// Deployments stored in gb_models (POST /model/new), loaded by every instance at start and
// kept in sync afterwards: a model added through one instance reaches the others' routers
// (at once through Redis pub/sub when configured, else by polling gb_models every few seconds).
import type pg from 'pg';
import type { DeploymentSpec } from '../hooks.js';

export class ModelStore {
  constructor(private readonly pool: pg.Pool) {}

  async add(spec: DeploymentSpec): Promise<DeploymentSpec> {
    await this.pool.query(
      `INSERT INTO gb_models (model_id, model_name, litellm_params, model_info) VALUES ($1, $2, $3, $4)
       ON CONFLICT (model_id) DO UPDATE SET model_name = EXCLUDED.model_name, litellm_params = EXCLUDED.litellm_params, model_info = EXCLUDED.model_info`,
      [spec.modelInfo.id, spec.modelName, JSON.stringify(spec.litellmParams), JSON.stringify(spec.modelInfo)],
    );
    return spec;
  }

  async list(): Promise<DeploymentSpec[]> {
    const r = await this.pool.query<{ model_name: string; litellm_params: Record<string, unknown>; model_info: DeploymentSpec['modelInfo'] }>(
      'SELECT model_name, litellm_params, model_info FROM gb_models ORDER BY created_at, model_id',
    );
    return r.rows.map((x) => ({ modelName: x.model_name, litellmParams: x.litellm_params, modelInfo: x.model_info }));
  }
}

/** Hands new or changed gb_models rows to the router (addDeployment replaces by model_info.id). */
export class ModelSync {
  private readonly seen = new Map<string, string>();
  private readonly failed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private add: ((spec: DeploymentSpec) => void) | null = null;
  private running = false;

  constructor(
    private readonly store: ModelStore,
    private readonly pollMs: number,
    private readonly log: (m: string) => void,
  ) {}

  /** Rows the router already has (loadDeployments at start, or this instance's /model/new). */
  markSeen(specs: DeploymentSpec[]): void {
    for (const s of specs) this.seen.set(s.modelInfo.id, JSON.stringify(s));
  }

  start(add: (spec: DeploymentSpec) => void): void {
    this.add = add;
    if (this.timer === null && this.pollMs > 0) {
      this.timer = setInterval(() => void this.sync(), this.pollMs);
      this.timer.unref();
    }
  }

  async sync(): Promise<void> {
    if (this.add === null || this.running) return;
    this.running = true;
    try {
      for (const spec of await this.store.list()) {
        const id = spec.modelInfo.id;
        const json = JSON.stringify(spec);
        if (this.seen.get(id) === json) continue;
        this.seen.set(id, json);
        try {
          this.add(spec);
        } catch (err) {
          if (!this.failed.has(id)) this.log(`model ${spec.modelName} (${id}) from gb_models not added: ${(err as Error).message}`);
          this.failed.add(id);
        }
      }
    } catch {
      // database unavailable: the next tick tries again
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
