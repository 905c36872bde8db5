// LiteLLM-compatible management routes behind the master key, as a fastify plugin the proxy
// registers: /key/generate, /key/info, /key/update, /key/delete, /model/new, /model/info.
// Errors are OpenAI-shaped. Bodies may arrive parsed (fastify's JSON parser) or raw (a proxy
// that keeps bodies as Buffers for its hot path): both are accepted.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DeploymentSpec } from '../hooks.js';
import type { KeyAuth } from './auth.js';
import { hashKey, parseKeyDurationMs, type KeyFields, type KeyRow, type KeyStore } from './keys.js';
import type { ModelStore, ModelSync } from './models.js';
import { zodProblems } from '../../lib/zod-problems.js';

export interface ManagementPluginOptions {
  isMaster(authHeader: string | undefined): boolean;
  addDeployment(spec: DeploymentSpec): void;
}

export interface ManagementDeps {
  keys: KeyStore;
  models: ModelStore;
  modelSync: ModelSync;
  auth: KeyAuth;
  /** tells the other instances a model was added (Redis pub/sub); no-op without Redis */
  announceModel(id: string): void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

const nullableNum = z.number().nonnegative().nullable().optional();
// rpm/tpm limits are PostgreSQL integers: past 2^31-1 is a 400 here, not a failed INSERT (503)
const nullableInt = z.number().int().nonnegative().max(2_147_483_647).nullable().optional();
const keyFieldsSchema = z.object({
  models: z.array(z.string()).nullable().optional(),
  max_budget: nullableNum,
  rpm_limit: nullableInt,
  tpm_limit: nullableInt,
  duration: z.string().nullable().optional(),
  expires: z.union([z.string(), z.number()]).nullable().optional(),
  key_alias: z.string().nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  spend: z.number().nonnegative().optional(),
});
const updateSchema = keyFieldsSchema.extend({ key: z.string().min(1) });
const deleteSchema = z.object({ keys: z.array(z.string().min(1)).min(1) });
const modelNewSchema = z.object({
  model_name: z.string().min(1),
  litellm_params: z.record(z.string(), z.unknown()).refine((p) => typeof p.model === 'string', { message: 'litellm_params.model is required' }),
  model_info: z.record(z.string(), z.unknown()).nullable().optional(),
});

function bodyOf(req: FastifyRequest): unknown {
  const b = req.body;
  if (Buffer.isBuffer(b) || typeof b === 'string') {
    try {
      return JSON.parse(b.toString());
    } catch {
      throw new HttpError(400, 'request body is not valid JSON', 'invalid_request_error', 'invalid_json');
    }
  }
  return b ?? {};
}

function parse<T>(schema: z.ZodType<T>, req: FastifyRequest): T {
  const r = schema.safeParse(bodyOf(req));
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const param = issue.path.join('.') || null;
  throw new HttpError(400, `invalid request body: ${zodProblems(r.error).join('; ')}`, 'invalid_request_error', 'invalid_body', param);
}

function fieldsOf(b: z.infer<typeof keyFieldsSchema>): KeyFields {
  const f: KeyFields = { models: b.models, maxBudget: b.max_budget, rpmLimit: b.rpm_limit, tpmLimit: b.tpm_limit, alias: b.key_alias, spend: b.spend };
  if (b.metadata !== undefined) f.metadata = b.metadata ?? {};
  if (b.duration != null) {
    const ms = parseKeyDurationMs(b.duration);
    if (ms === null) throw new HttpError(400, `invalid duration ${JSON.stringify(b.duration)}: expected like 30s, 30m, 30h, 30d`, 'invalid_request_error', 'invalid_body', 'duration');
    f.expiresAt = Date.now() + ms;
  } else if (b.duration === null) f.expiresAt = null;
  if (b.expires != null) {
    const t = typeof b.expires === 'number' ? b.expires * 1000 : Date.parse(b.expires);
    if (!Number.isFinite(t)) throw new HttpError(400, `invalid expires ${JSON.stringify(b.expires)}: expected an ISO date or epoch seconds`, 'invalid_request_error', 'invalid_body', 'expires');
    f.expiresAt = t;
  }
  return f;
}

function info(row: KeyRow): Record<string, unknown> {
  return {
    token: row.keyHash,
    key_alias: row.alias,
    models: row.models ?? [],
    max_budget: row.maxBudget,
    spend: row.spend,
    rpm_limit: row.rpmLimit,
    tpm_limit: row.tpmLimit,
    expires: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString(),
    metadata: row.metadata,
    created_at: new Date(row.createdAt).toISOString(),
  };
}

/** A key as given by a caller: the sk-… key itself, or its sha256 hex (LiteLLM's `token`). */
const toHash = (k: string) => (/^[0-9a-f]{64}$/.test(k) ? k : hashKey(k));

function maskParams(p: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...p };
  for (const k of Object.keys(out)) if (/key|secret|token|password/i.test(k) && typeof out[k] === 'string') out[k] = `${String(out[k]).slice(0, 3)}****`;
  return out;
}

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof HttpError) return reply.code(err.status).send({ error: { message: err.message, type: err.type, param: err.param, code: err.code } });
  const e = err as { statusCode?: number; message?: string; code?: string };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return reply.code(e.statusCode).send({ error: { message: e.message ?? 'bad request', type: 'invalid_request_error', param: null, code: e.code ?? 'invalid_request' } });
  }
  // The database is the only thing that fails here: say so, with 503 (retryable)
  return reply.code(503).send({ error: { message: `database unavailable: ${e.message ?? String(err)}`, type: 'service_unavailable', param: null, code: 'database_unavailable' } });
}

export function createManagementPlugin(deps: ManagementDeps): FastifyPluginAsync<ManagementPluginOptions> {
  return async (app, opts) => {
    deps.modelSync.start((spec) => opts.addDeployment(spec));
    app.addHook('onClose', async () => deps.modelSync.stop());
    app.setErrorHandler((err, _req, reply) => sendError(reply, err));
    app.addHook('onRequest', async (req, reply) => {
      if (!opts.isMaster(req.headers.authorization)) {
        return reply.code(401).send({ error: { message: 'Authentication Error - management routes need the master key', type: 'authentication_error', param: null, code: 'invalid_api_key' } });
      }
    });

    app.post('/key/generate', async (req) => {
      const f = fieldsOf(parse(keyFieldsSchema, req));
      const { key, row } = await deps.keys.create(f);
      return { key, key_name: `sk-...${key.slice(-4)}`, ...info(row) };
    });

    app.get('/key/info', async (req) => {
      const key = (req.query as Record<string, unknown> | undefined)?.key;
      if (typeof key !== 'string' || key === '') throw new HttpError(400, 'query parameter key is required', 'invalid_request_error', 'missing_param', 'key');
      const row = await deps.keys.get(toHash(key));
      if (row === null) throw new HttpError(404, 'key not found', 'not_found_error', 'key_not_found', 'key');
      return { key, info: info(row) };
    });

    app.post('/key/update', async (req) => {
      const b = parse(updateSchema, req);
      const h = toHash(b.key);
      const row = await deps.keys.update(h, fieldsOf(b));
      if (row === null) throw new HttpError(404, 'key not found', 'not_found_error', 'key_not_found', 'key');
      await deps.auth.invalidate([h]);
      return { key: b.key, ...info(row) };
    });

    app.post('/key/delete', async (req) => {
      const b = parse(deleteSchema, req);
      const byHash = new Map(b.keys.map((k) => [toHash(k), k]));
      const gone = await deps.keys.delete([...byHash.keys()]);
      if (gone.length === 0) throw new HttpError(404, 'none of the keys exist', 'not_found_error', 'key_not_found', 'keys');
      await deps.auth.invalidate(gone);
      return { deleted_keys: gone.map((h) => byHash.get(h)) };
    });

    app.post('/model/new', async (req) => {
      const b = parse(modelNewSchema, req);
      const modelInfo = { ...(b.model_info ?? {}) } as DeploymentSpec['modelInfo'];
      if (typeof modelInfo.id !== 'string' || modelInfo.id === '') modelInfo.id = randomUUID();
      const spec: DeploymentSpec = { modelName: b.model_name, litellmParams: b.litellm_params, modelInfo };
      // the router validates first (it throws on a deployment it cannot serve): nothing invalid is stored
      try {
        opts.addDeployment(spec);
      } catch (err) {
        const problems = (err as { problems?: string[] }).problems;
        throw new HttpError(400, `invalid deployment: ${problems?.length ? problems.join('; ') : (err as Error).message}`, 'invalid_request_error', 'invalid_body', 'litellm_params');
      }
      await deps.models.add(spec);
      deps.modelSync.markSeen([spec]);
      deps.announceModel(modelInfo.id);
      return { model_id: modelInfo.id, model_name: spec.modelName, litellm_params: maskParams(spec.litellmParams), model_info: modelInfo };
    });

    app.get('/model/info', async () => {
      const list = await deps.models.list();
      return { data: list.map((s) => ({ model_name: s.modelName, litellm_params: maskParams(s.litellmParams), model_info: { ...s.modelInfo, db_model: true } })) };
    });
  };
}
