// The LiteLLM config format (model_list / router_settings / litellm_settings /
// general_settings) as zod schemas, so the seed's config and LiteLLM users' files load as
// they are. Built twice: strict (to find unknown keys, which are only warned about) and
// loose (to get the data once only unknown keys were wrong). Values arrive with every
// `os.environ/VAR` already resolved to a string, so numbers and booleans accept strings.
import { z } from 'zod';

/** A number, or a string holding one (`os.environ/PORT` resolves to a string). */
const num = () =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v), z.number({ error: 'expected a number' }));
const nonNeg = () => num().pipe(z.number().nonnegative({ error: 'expected a number >= 0' }));
const nonNegInt = () => num().pipe(z.number().int({ error: 'expected an integer' }).nonnegative({ error: 'expected an integer >= 0' }));
const bool = () =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim().toLowerCase();
    return s === 'true' ? true : s === 'false' ? false : v;
  }, z.boolean({ error: 'expected true or false' }));
const str = () => z.string({ error: 'expected a string' });
const url = () =>
  str().refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'expected a URL');
const strList = () => z.array(str(), { error: 'expected a list of strings' });

export function buildSchemas(strict: boolean) {
  const obj = <T extends z.core.$ZodLooseShape>(shape: T) => (strict ? z.strictObject(shape) : z.object(shape));

  const litellmParams = obj({
    model: str().refine((m) => m.length > 0, 'expected a model name'),
    api_base: url().optional(),
    api_key: str().optional(),
    rpm: nonNeg().optional(),
    tpm: nonNeg().optional(),
    timeout: nonNeg().optional(),
    stream_timeout: nonNeg().optional(),
    max_retries: nonNegInt().optional(),
    weight: nonNeg().optional(),
    input_cost_per_token: nonNeg().optional(),
    output_cost_per_token: nonNeg().optional(),
  });
  const modelEntry = obj({
    model_name: str().min(1, 'expected a model name'),
    litellm_params: litellmParams,
    model_info: obj({ id: z.union([str(), num()]).transform(String).optional() }).optional(),
  });
  const routerSettings = obj({
    routing_strategy: z.enum(['simple-shuffle', 'least-busy'], { error: 'expected simple-shuffle or least-busy' }).optional(),
    num_retries: nonNegInt().optional(),
    timeout: nonNeg().optional(),
    fallbacks: z.array(z.record(str(), strList()), { error: 'expected a list of {model: [fallback models]}' }).optional(),
    allowed_fails: nonNegInt().optional(),
    cooldown_time: nonNeg().optional(),
    redis_host: str().optional(),
    redis_port: nonNegInt().optional(),
    redis_password: str().optional(),
    redis_url: str().optional(),
  });
  const cacheParams = obj({
    type: z.enum(['redis', 'local'], { error: 'expected redis or local' }).optional(),
    host: str().optional(),
    port: nonNegInt().optional(),
    password: str().optional(),
    ttl: nonNeg().optional(),
    namespace: str().optional(),
  });
  const litellmSettings = obj({
    cache: bool().optional(),
    cache_params: cacheParams.optional(),
    callbacks: strList().optional(),
    success_callback: strList().optional(),
    failure_callback: strList().optional(),
    // per-callback settings the state modules read (callback_settings.webhook.url)
    callback_settings: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    num_retries: nonNegInt().optional(),
    request_timeout: nonNeg().optional(),
    drop_params: bool().optional(),
    set_verbose: bool().optional(),
  });
  const generalSettings = obj({
    master_key: str().optional(),
    database_url: str().optional(),
    database_connection_pool_limit: nonNegInt().optional(),
    proxy_batch_write_at: nonNeg().optional(),
    disable_spend_logs: bool().optional(),
    user_api_key_cache_ttl: nonNeg().optional(),
    store_model_in_db: bool().optional(),
  });
  const root = obj({
    model_list: z.array(modelEntry, { error: 'expected a list of models' }).default([]),
    router_settings: routerSettings.default({}),
    litellm_settings: litellmSettings.default({}),
    general_settings: generalSettings.default({}),
    // Other LiteLLM top-level sections (environment_variables, ...) are warned about by strict.
  });
  return { root, litellmParams };
}

export const strictSchemas = buildSchemas(true);
export const looseSchemas = buildSchemas(false);

export type RawProxyConfig = z.output<typeof looseSchemas.root>;
export type LitellmParams = z.output<typeof looseSchemas.litellmParams>;
export type ModelEntry = RawProxyConfig['model_list'][number];
