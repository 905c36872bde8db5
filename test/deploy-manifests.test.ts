// deploy/kubernetes and the Dockerfile, checked without a cluster: every object of every YAML
// the kustomization lists validates against the Kubernetes schemas (kubernetes-models, offline);
// references between them resolve (ConfigMaps, Secrets, Service selectors, the shard count);
// the ConfigMap's scenario passes `bench validate` and the gateway's config parses as the proxy
// parses it; the Job's command runs as written against a fake upstream and prints the one JSON
// line the docs collect with kubectl logs; the Dockerfile's commands are the README's.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';
import { startUpstream } from '../fake-upstream/index.js';
import type { RunResult } from '../lib/result.js';
import { parseProxyConfig } from '../proxy/config.js';
import { runBench } from './helpers/bench-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'deploy/kubernetes');
const tmp = mkdtempSync(join(tmpdir(), 'gb-deploy-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: unknown };
type Any = any;

const bench = (args: string[], env: NodeJS.ProcessEnv = {}) => runBench(args, { env });

const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[]; images: Array<{ name: string }>; configMapGenerator: Array<{ name: string; envs: string[] }> };

function objectsOf(text: string, file: string): Obj[] {
  return parseAllDocuments(text).map((d, i) => {
    assert.deepEqual(d.errors, [], `${file} document ${i}: YAML errors`);
    return d.toJS() as Obj;
  }).filter((o) => o !== null);
}

const objects: Array<Obj & { file: string }> = kustomization.resources.flatMap((f) => objectsOf(readFileSync(join(DIR, f), 'utf8'), f).map((o) => ({ ...o, file: f })));
const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as Any;

/** new <Kind>(obj).validate() of kubernetes-models: types, required fields, formats (quantities, ports). */
async function validateObject(o: Obj): Promise<void> {
  const mod = (await import(`kubernetes-models/${o.apiVersion}`)) as Record<string, new (x: unknown) => { validate(): void }>;
  const Model = mod[o.kind];
  assert.ok(Model, `kubernetes-models has ${o.apiVersion} ${o.kind}`);
  new Model(o).validate();
}

test('every object of every manifest validates against the Kubernetes schemas', async (t) => {
  assert.ok(objects.length >= 12, `${objects.length} objects`);
  for (const f of kustomization.resources) assert.ok(existsSync(join(DIR, f)), f);
  for (const o of objects) await validateObject(o).catch((e: Error) => assert.fail(`${o.file}: ${o.kind}/${o.metadata.name}: ${e.message}`));
  // the validator does reject what it should (a test that cannot fail is a defect)
  const gateway = find('Deployment', 'gateway');
  await assert.rejects(validateObject({ ...gateway, spec: { ...gateway.spec, replicas: 'four' } }), /replicas must be integer/);
  // and the kustomization renders (kubectl's built-in kustomize, offline), each rendered object valid too
  const r = spawnSync('kubectl', ['kustomize', DIR], { encoding: 'utf8' });
  if (r.error) {
    t.diagnostic(`kubectl not found (${r.error.message}): the kustomize rendering is not checked`);
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const rendered = objectsOf(r.stdout, 'kubectl kustomize');
  assert.equal(rendered.length, objects.length + kustomization.configMapGenerator.length);
  for (const o of rendered) {
    await validateObject(o);
    if (o.kind !== 'Namespace') assert.equal((o.metadata as Any).namespace, 'gatebench', `${o.kind}/${o.metadata.name} in the namespace`);
  }
  const images = rendered.flatMap((o: Any) => [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.template?.spec?.initContainers ?? [])].map((c: Any) => c.image as string));
  assert.ok(images.filter((i) => i.startsWith('registry.example.com/gatebench:')).length >= 4, `our image substituted: ${images.join(', ')}`);
});

test('references resolve: ConfigMaps, Secret keys, Service selectors, the shard count', () => {
  const job = find('Job', 'gatebench-load');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.parallelism, job.spec.completions, 'all shards run at once');
  const load = job.spec.template.spec.containers[0];
  const env = Object.fromEntries(load.env.map((e: Any) => [e.name, e]));
  assert.equal(Number(env.GATEBENCH_SHARDS.value), job.spec.completions, 'GATEBENCH_SHARDS = completions');
  assert.equal(env.GATEBENCH_START_AT.valueFrom.configMapKeyRef.name, kustomization.configMapGenerator[0].name);
  const runEnv = readFileSync(join(DIR, kustomization.configMapGenerator[0].envs[0]), 'utf8');
  assert.match(runEnv, /^GATEBENCH_START_AT=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);

  const secret = find('Secret', 'gatebench-secrets');
  const configMaps = new Set([...objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name), ...kustomization.configMapGenerator.map((g) => g.name)]);
  for (const o of objects) {
    const spec = (o as Any).spec?.template?.spec;
    if (!spec) continue;
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
      // ours run the gatebench image (kustomize sets its registry and tag); the stores run their own
      if (o.kind === 'StatefulSet') assert.match(c.image, /^(postgres|redis):\d+-alpine$/);
      else assert.equal(c.image, kustomization.images[0].name, `${o.metadata.name}/${c.name}: the image kustomize sets`);
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef;
        if (s) assert.ok(s.name === 'gatebench-secrets' && s.key in secret.stringData, `${o.metadata.name}: secret key ${s.key}`);
        const m = e.valueFrom?.configMapKeyRef;
        if (m) assert.ok(configMaps.has(m.name), `${o.metadata.name}: ConfigMap ${m.name}`);
      }
      for (const ef of c.envFrom ?? []) assert.equal(ef.secretRef?.name, 'gatebench-secrets');
      // what the container runs is a bench command
      if (c.args && !c.command && o.kind !== 'StatefulSet') assert.ok(['load', 'proxy', 'upstream', 'run', 'merge'].includes(c.args[0]), `${o.metadata.name}: bench ${c.args[0]}`);
    }
    for (const v of spec.volumes ?? []) if (v.configMap) assert.ok(configMaps.has(v.configMap.name), `${o.metadata.name}: volume ConfigMap ${v.configMap.name}`);
  }
  for (const svc of objects.filter((o) => o.kind === 'Service') as Any[]) {
    const target = objects.find((o: Any) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && Object.entries(svc.spec.selector).every(([k, v]) => o.spec.template.metadata.labels[k] === v)) as Any;
    assert.ok(target, `Service ${svc.metadata.name} selects a workload`);
    const ports = target.spec.template.spec.containers.flatMap((c: Any) => c.ports.map((p: Any) => [p.containerPort, p.name]).flat());
    for (const p of svc.spec.ports) assert.ok(ports.includes(p.targetPort), `Service ${svc.metadata.name} port ${p.targetPort}`);
  }
  // the gateway reaches the services by their names, the shards reach the gateway
  const proxyYaml = find('ConfigMap', 'gatebench-proxy').data['proxy.yaml'] as string;
  assert.match(proxyYaml, /api_base: http:\/\/fake-upstream:8080\/v1/);
  assert.equal(load.args[1], 'http://gateway:4000');
});

test("the gateway's config parses as bench proxy parses it, with the Secret's values", () => {
  const secret = find('Secret', 'gatebench-secrets').stringData as Record<string, string>;
  const saved = { ...process.env };
  Object.assign(process.env, secret);
  try {
    const cfg = parseProxyConfig(parse(find('ConfigMap', 'gatebench-proxy').data['proxy.yaml']), 'gatebench-proxy') as Any;
    assert.equal(cfg.general_settings.master_key, secret.MASTER_KEY);
    assert.equal(cfg.router_settings.redis_port, 6379);
    assert.equal(cfg.model_list[0].model_name, 'db-openai-endpoint', "the seed's model name, which the scenario's requests use");
  } finally {
    for (const k of Object.keys(secret)) if (!(k in saved)) delete process.env[k];
  }
});

test("the ConfigMap's scenario passes bench validate, and the Job's command runs as written", async (t) => {
  const scenario = find('ConfigMap', 'gatebench-scenario').data['scenario.yaml'] as string;
  const file = join(tmp, 'scenario.yaml');
  writeFileSync(file, scenario);
  const v = await bench(['validate', file]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /ok \(1 variant\)/);

  const up = await startUpstream();
  t.after(() => up.close());
  const job = find('Job', 'gatebench-load');
  const c = job.spec.template.spec.containers[0];
  // the Job's arguments, with the Service URL and the mounted file replaced, shortened to 1 s
  const args = (c.args as string[]).map((a) => (a === 'http://gateway:4000' ? up.url : a === '/etc/gatebench/scenario.yaml' ? file : a));
  const r = await bench([...args, '--duration', '1s', '--warmup', '0s'], {
    JOB_COMPLETION_INDEX: '3',
    GATEBENCH_SHARDS: String(job.spec.completions),
    GATEBENCH_START_AT: new Date(Date.now() + 1500).toISOString(),
    GATEBENCH_API_KEY: 'sk-test',
  });
  assert.equal(r.code, 0, r.stderr);
  // docs/scale-out.md collects this line from kubectl logs (stderr is in the log too)
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.ok(lines[0].startsWith('{"schema":"gatebench/result@1"'), lines[0].slice(0, 60));
  const result = JSON.parse(lines[0]) as RunResult;
  assert.deepEqual([result.shard?.index, result.shard?.total], [3, job.spec.completions]);
  assert.equal(result.scenario, 'k8s-seed');
  assert.deepEqual(result.thresholds, parse(scenario).thresholds);
  assert.ok(result.variants[0].requests > 0);
  assert.equal(result.variants[0].failures['401'] ?? 0, 0);
  assert.ok(!JSON.stringify(result).includes('sk-test'), 'the key is not in the result');
});

test("the Dockerfile: Node 20 slim, the README's commands, nothing it needs left out by .dockerignore", () => {
  const docker = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const from = [...docker.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.ok(from.length >= 1 && from.every((f) => /^node:20(\.\d+)*-[a-z]+-slim$/.test(f)), `Node 20 slim: ${from.join(', ')}`);
  const runs = [...docker.matchAll(/^RUN (.+)$/gm)].map((m) => m[1].trim());
  assert.ok(runs.includes('npm ci'), 'the build stage installs and builds with npm ci');
  assert.ok(runs.some((r) => r.endsWith('npm ci --omit=dev')), 'the runtime stage has production dependencies only');
  for (const run of runs.filter((r) => r.includes('npm'))) assert.ok(readme.includes(run), `README shows: ${run}`);
  assert.ok(readme.includes('docker build -t gatebench'), 'README shows the image build');
  assert.match(docker, /^ENTRYPOINT \["bench"\]$/m);
  assert.match(docker, /ln -s \/app\/dist\/cli\/bench\.js \/usr\/local\/bin\/bench/);
  assert.ok(existsSync(join(ROOT, 'dist/cli/bench.js')));
  // tsc compiles every folder tsconfig includes: none may be left out of the build context
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const include = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] }).include;
  for (const dir of [...include, 'package.json', 'package-lock.json', 'scripts', 'scenarios']) assert.ok(!ignored.includes(dir), `${dir} is in the build context`);
});
