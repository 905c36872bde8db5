// `bench load` as a user runs it: a child process, stdout parsed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './helpers/loadgen-servers.js';
import { runBench } from './helpers/bench-cli.js';


const bench = (args: string[]) => runBench(args);

test('bench load --json prints the result JSON alone on stdout; the URL path is the request path', async (t) => {
  const srv = await startServer((_req, res) => {
    res.setHeader('x-litellm-overhead-duration-ms', '2');
    res.end('{}');
  });
  t.after(() => srv.close());
  const r = await bench(['load', `${srv.url}/chat/completions`, '--seed-body', '--users', '3', '--duration', '1s', '--record-header', 'x-litellm-overhead-duration-ms', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { requests: number; overhead_ms: { p50: number }; by_name: Array<{ type: string; name: string }> };
  assert.ok(result.requests > 10);
  assert.equal(result.overhead_ms.p50, 2);
  assert.deepEqual(result.by_name.map((n) => [n.type, n.name]), [['POST', '/chat/completions']]);
  assert.match(srv.bodies[0], /^\{"model":"db-openai-endpoint"/);
});

test('bench load prints the table on stdout without --json', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const r = await bench(['load', srv.url, '--rate', '50', '--duration', '1s']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Type.*Name.*# reqs.*# fails.*Median \(ms\).*95%ile \(ms\).*99%ile \(ms\).*Average \(ms\).*Current RPS/);
  assert.match(r.stdout, /GET\s+│ \/\s+│ 5\d /);
});

test('bench load: bad flags are reported together, exit code 2', async () => {
  const r = await bench(['load', 'http://127.0.0.1:1', '--users', '0', '--wait', 'soon', '--duration', 'forever', '--header', 'nocolon', '--workers', '1.5']);
  assert.equal(r.code, 2);
  for (const w of ['--users', '--wait', '--duration', '--header', '--workers']) assert.ok(r.stderr.includes(w), `${w} in ${r.stderr}`);
  assert.equal(r.stdout, '');
  const r2 = await bench(['load', 'http://127.0.0.1:1', '--rate', '5', '--users', '3']);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /cannot be combined/);
});

test('bench load --workers 2: the load is shared by two threads and reported as one result', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const r = await bench(['load', srv.url, '--users', '4', '--wait', '0.01', '--duration', '1s', '--workers', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { requests: number; latency_ms: { count: number }; notes: string[] };
  assert.ok(result.requests > 20, `requests ${result.requests}`);
  assert.equal(result.latency_ms.count, result.requests);
  assert.ok(result.notes.some((n) => /2 worker threads/.test(n)), JSON.stringify(result.notes));
  assert.equal(srv.socketOpenedAt.length, 4, 'one connection per user across both threads');
});
