// Runs the compiled test suite with node:test. Kept as a script so that `npm test` is one
// command on every platform and test files can be filtered: `npm test -- proxy`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = 'dist/test';
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (filters.length === 0 || filters.some((f) => p.includes(f)))) files.push(p);
  }
})(root);
if (files.length === 0) {
  console.error(`no test files under ${root}${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(1);
}
// Test files start real servers (PostgreSQL, Redis, proxies): run two files at a time on
// this 2-core machine so that suites do not starve each other. A `*.quiet.test.js` file
// measures something at sub-millisecond resolution that its issue pins down (the ledger
// method within 0.2 ms of the proxy's header, p50 in [50, 52] ms for a 50 ms upstream): a
// second file running beside it puts scheduler delays of a busy 2-core box into the figure,
// so those run afterwards, one at a time, with the machine to themselves. So do the runs whose
// verdict depends on the load generator keeping its pace (the capacity search must end on the
// SLO, not on a generator starved by the neighbouring file) and the saturation smoke test.
const quiet = files.filter((f) => f.endsWith('.quiet.test.js'));
const parallel = files.filter((f) => !f.endsWith('.quiet.test.js'));
const run = (list, concurrency) =>
  list.length === 0 ? 0 : (spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=180000', ...list], { stdio: 'inherit' }).status ?? 1);
const a = run(parallel, 2);
const b = run(quiet, 1);
process.exit(a !== 0 ? a : b);
