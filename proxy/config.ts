// Loading and validating a LiteLLM-style proxy config: YAML → `os.environ/VAR` resolution →
// zod validation. Every problem is reported with its path in one GbError (exit 2); keys we
// do not know are warned about on stderr once and otherwise ignored, so LiteLLM users'
// files with settings we have no use for still load.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ERR_FILE_READ, ERR_INVALID_CONFIG } from '../lib/errors.js';
import { looseSchemas, strictSchemas, type RawProxyConfig } from './config-schema.js';
import { formatPath, issueProblems } from '../lib/zod-problems.js';

export type { RawProxyConfig, LitellmParams, ModelEntry } from './config-schema.js';

/** A validated config. Sections keep LiteLLM's snake_case names so state modules can read them as documented by LiteLLM. */
export interface ProxyConfig extends RawProxyConfig {
  /** where it came from (file path or "config") */
  source: string;
}

const ENV_PREFIX = 'os.environ/';
const warned = new Set<string>();


/** Replaces every `os.environ/VAR` string with the variable's value; unset variables are problems. */
export function resolveEnv(value: unknown, problems: string[], path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(ENV_PREFIX)) return value;
    const name = value.slice(ENV_PREFIX.length);
    const v = process.env[name];
    if (v === undefined) {
      problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
      return undefined;
    }
    return v;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnv(v, problems, [...path, k]);
    return out;
  }
  return value;
}

/** Problems, and unknown keys apart: the proxy warns about those (LiteLLM has many settings we ignore). */
function issueMessages(issues: readonly z.core.$ZodIssue[]): { problems: string[]; unknown: string[] } {
  const all = issueProblems(issues);
  return {
    problems: all.filter((p) => !p.unknownKey).map((p) => `${formatPath(p.path)}: ${p.message}`),
    unknown: all.filter((p) => p.unknownKey).map((p) => formatPath(p.path)),
  };
}

function warnUnknown(source: string, keys: string[]): void {
  for (const k of keys) {
    const line = `${source}: unknown key ${k} (ignored)`;
    if (warned.has(line)) continue;
    warned.add(line);
    process.stderr.write(`bench proxy: warning: ${line}\n`);
  }
}

/** Checks the parts zod cannot see on its own: providers, fallbacks naming known groups, unique ids. */
function crossCheck(cfg: RawProxyConfig, problems: string[]): void {
  const groups = new Set<string>();
  const ids = new Set<string>();
  cfg.model_list.forEach((m, i) => {
    groups.add(m.model_name);
    const model = m.litellm_params.model;
    const slash = model.indexOf('/');
    if (slash >= 0 && model.slice(0, slash) !== 'openai') {
      problems.push(`model_list[${i}].litellm_params.model: only openai-compatible deployments (openai/<model>) are supported, got ${JSON.stringify(model)}`);
    }
    const id = m.model_info?.id;
    if (id !== undefined) {
      if (ids.has(id)) problems.push(`model_list[${i}].model_info.id: duplicate id ${JSON.stringify(id)}`);
      ids.add(id);
    }
  });
  (cfg.router_settings.fallbacks ?? []).forEach((entry, i) => {
    for (const [from, to] of Object.entries(entry)) {
      if (!groups.has(from)) problems.push(`router_settings.fallbacks[${i}].${from}: unknown model_name ${JSON.stringify(from)}`);
      to.forEach((name, j) => {
        if (!groups.has(name)) problems.push(`router_settings.fallbacks[${i}].${from}[${j}]: unknown model_name ${JSON.stringify(name)}`);
      });
    }
  });
}

/** Validates an already-parsed config object (YAML/JSON). Throws GbError listing every problem. */
export function parseProxyConfig(obj: unknown, source = 'config'): ProxyConfig {
  const problems: string[] = [];
  const input = obj === null || obj === undefined ? {} : obj;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw ERR_INVALID_CONFIG([source, '1'], ['(root): expected a mapping with model_list, router_settings, litellm_settings, general_settings']);
  }
  const resolved = resolveEnv(input, problems);
  const strict = strictSchemas.root.safeParse(resolved);
  let data: RawProxyConfig | undefined;
  if (strict.success) {
    data = strict.data;
  } else {
    const { problems: p, unknown } = issueMessages(strict.error.issues);
    problems.push(...p);
    warnUnknown(source, unknown);
    if (p.length === 0) {
      const loose = looseSchemas.root.safeParse(resolved);
      if (loose.success) data = loose.data;
      else problems.push(...issueMessages(loose.error.issues).problems);
    }
  }
  if (data) crossCheck(data, problems);
  if (problems.length > 0 || !data) throw ERR_INVALID_CONFIG([source, String(problems.length)], problems);
  return { ...data, source };
}

/** Reads a YAML (or JSON) file and validates it. */
export async function loadProxyConfigFile(path: string): Promise<ProxyConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw ERR_FILE_READ([path, (err as Error).message]);
  }
  let obj: unknown;
  try {
    obj = parseYaml(text);
  } catch (err) {
    throw ERR_INVALID_CONFIG([path, '1'], [`(file): not valid YAML: ${(err as Error).message}`]);
  }
  return parseProxyConfig(obj, path);
}
