import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('compare')
    .description('two results side by side, with the change of each figure')
    .argument('<a>', 'result.json (before)')
    .argument('<b>', 'result.json (after)')
    .action(async (a: string, b: string) => (await import('../../reports/command.js')).compareCommand(a, b));
}
