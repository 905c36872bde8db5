import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('report')
    .description('re-render a result.json')
    .argument('<result>', 'result.json of a run')
    .option('--format <f>', 'console | md | html | json', 'console')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (file: string, opts: { format?: string; out?: string }) => (await import('../../reports/command.js')).reportCommand(file, opts));
}
