#!/usr/bin/env node
// The `bench` command. This file only builds the commander program from cli/commands/*
// and turns errors into exit codes (lib/exit-codes.ts); handlers live with their parts.
import { Command, CommanderError } from 'commander';
import { isGbError } from '../lib/errors.js';
import { EXIT_INVALID, EXIT_UNEXPECTED } from '../lib/exit-codes.js';
import { commands } from './commands/index.js';

const program = new Command('bench')
  .description('Benchmark LLM API gateways: a reference gateway, a fake OpenAI upstream and an exact load generator')
  .version(process.env.npm_package_version ?? '0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message; help and version are not errors.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return EXIT_INVALID;
  }
  if (isGbError(err)) {
    process.stderr.write(`bench: ${err.message} [${err.code}]\n`);
    for (const p of err.problems) process.stderr.write(`  - ${p}\n`);
    return err.exitCode;
  }
  process.stderr.write(`bench: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT_UNEXPECTED;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
