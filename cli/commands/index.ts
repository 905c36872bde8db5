import type { Command } from 'commander';
import { register as run } from './run.js';
import { register as validate } from './validate.js';
import { register as report } from './report.js';
import { register as compare } from './compare.js';
import { register as upstream } from './upstream.js';
import { register as proxy } from './proxy.js';
import { register as load } from './load.js';
import { register as gate } from './gate.js';
import { register as baseline } from './baseline.js';
import { register as merge } from './merge.js';

/** Every command, in the order `bench --help` lists them. Each command file imports its
 * handler only when run, so that a proxy instance or the fake upstream does not load
 * (and pay CPU and memory for) the runner, reports or the load generator. */
export const commands: Array<(program: Command) => void> = [run, validate, report, compare, merge, gate, baseline, proxy, upstream, load];
