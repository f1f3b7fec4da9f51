#!/usr/bin/env node
// densescale CLI. Each command lives in its own module, loaded only when used.
import { fileURLToPath } from 'node:url';
import { DensescaleError } from '../errors.js';
import { exitCodeFor, UsageError } from './args.js';
import { exitWithParent, isFilteredChild, runFiltered } from './stderr_filter.js';

interface Command {
  summary: string;
  /** The full usage text, printed for `densescale <command> --help`. */
  USAGE?: string;
  main(argv: string[]): Promise<void>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  info: () => import('./info.js'),
  bench: () => import('./bench.js'),
  fit: () => import('./fit.js'),
  budget: () => import('./budget.js'),
  tokenize: () => import('./tokenize.js'),
  sweep: () => import('./sweep.js'),
  demo: () => import('./demo.js'),
  eval: () => import('./eval.js'),
  embed: () => import('./embed.js'),
  train: () => import('./train.js'),
};

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const lines = ['usage: densescale <command> [options]', '', 'commands:'];
    for (const [n, load] of Object.entries(COMMANDS)) lines.push(`  ${n.padEnd(10)} ${(await load()).summary}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return name === undefined ? 64 : 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) throw new UsageError(`unknown command "${name}"; run "densescale --help"`);
  const command = await load();
  // bench lists its benchmarks itself; every other command prints its usage (or its summary line).
  if (name !== 'bench' && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${command.USAGE ?? `densescale ${name}: ${command.summary}`}\n`);
    return 0;
  }
  await command.main(rest);
  return 0;
}

const argv = process.argv.slice(2);
if (!isFilteredChild() && process.env.DENSESCALE_DEBUG !== '1') {
  runFiltered(fileURLToPath(import.meta.url), argv).then((code) => {
    process.exitCode = code;
  });
} else {
  exitWithParent();
  runMain();
}

function runMain(): void {
run(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof DensescaleError) {
      process.stderr.write(`densescale: ${e.name}: ${e.message}\n`);
    } else {
      process.stderr.write(`densescale: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    }
    process.exitCode = exitCodeFor(e);
  },
);
}
