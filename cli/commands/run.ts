import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('run')
    .description('run a scenario: start PostgreSQL, Redis, the fake upstream and the proxy instances, drive the load, print and write the reports')
    .argument('<scenario>', 'scenario file (scenarios/*.yaml)')
    .option('--duration <d>', 'measured window per variant (e.g. 30s, 5m; the seed ran 5m)')
    .option('--warmup <d>', 'warm-up per variant, excluded from the statistics')
    .option('--users <n>', 'closed model: number of users')
    .option('--spawn-rate <n>', 'closed model: users started per second')
    .option('--variants <filter>', 'run only matching variants: instances=4,redis=off|on (or a substring of the name)')
    .option('--out <dir>', 'output directory (default results/<run-id>)')
    .option('--json', 'print the result JSON alone on stdout')
    .option('--dry-run', 'validate, expand the matrix and check prerequisites; start nothing')
    .option('--shard <i/n>', 'run share I (0-based) of N of one variant\'s load, for bench merge (default: JOB_COMPLETION_INDEX with GATEBENCH_SHARDS)')
    .option('--start-at <instant>', 'with --shard: start the load at this ISO-8601 instant (default GATEBENCH_START_AT)')
    .action(async (file: string, opts) => (await import('../../runner/command.js')).runCommand(file, opts));
}
