import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check scenario files: every problem with its path and line')
    .argument('<files...>', 'scenario files')
    .action(async (files: string[]) => (await import('../../runner/command.js')).validateCommand(files));
}
