import type { Command } from 'commander';
import { register as run } from './run.js';
import { register as validate } from './validate.js';
import { register as report } from './report.js';
import { register as compare } from './compare.js';
import { register as upstream } from './upstream.js';
import { register as proxy } from './proxy.js';
import { register as load } from './load.js';

/** Every command, in the order `bench --help` lists them. */
export const commands: Array<(program: Command) => void> = [run, validate, report, compare, proxy, upstream, load];
