import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('merge')
    .description('merge the results of the shards of one run (--shard I/N) into one: counts summed, HDR histograms added exactly, thresholds judged')
    .argument('<results...>', 'shard result files (shard-I-of-N.json, or result.json of bench run --shard)')
    .option('--out <dir>', 'output directory (default results/<run-id>-merged)')
    .option('--allow-missing', 'merge even when some shards are missing (the result is marked partial)')
    .option('--max-skew <d>', 'largest spread of the shards\' start instants (default 1s)')
    .option('--json', 'print the merged result JSON alone on stdout')
    .action(async (files: string[], opts) => (await import('../../merge/command.js')).mergeCommand(files, opts));
}
