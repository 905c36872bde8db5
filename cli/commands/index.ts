import type { Command } from 'commander';
import { register as upstream } from './upstream.js';
import { register as proxy } from './proxy.js';
import { register as load } from './load.js';

/** Every command, in the order `bench --help` lists them. */
export const commands: Array<(program: Command) => void> = [upstream, proxy, load];
