import { createDevice, type Device } from '../gpu/device.js';
import type { BenchContext } from '../bench/common.js';
import { BENCHES } from '../bench/registry.js';
import { UsageError } from './args.js';

export const summary = 'run benchmarks: densescale bench <name|all> [--json] [--quick] [--adapter NAME]';

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const adapterAt = argv.indexOf('--adapter');
  const adapter = adapterAt >= 0 ? argv[adapterAt + 1] : undefined;
  const rest = argv.filter((a, i) => !['--json', '--quick', '--adapter'].includes(a) && (adapterAt < 0 || i !== adapterAt + 1));
  const [name = 'all', ...args] = rest;
  if (name === '--help' || name === '-h' || name === 'help') {
    const lines = await Promise.all(Object.entries(BENCHES).map(async ([n, load]) => `  ${n.padEnd(12)} ${(await load()).summary}`));
    process.stdout.write(`usage: densescale bench <name|all> [--json] [--quick] [--adapter NAME] [bench flags]\n"all" runs every speed benchmark (not reproduce, a study of its own).\n\n${lines.join('\n')}\n`);
    return;
  }
  // reproduce is a scaling study (tens of minutes on a CPU), not a speed measurement: by name only.
  const names = name === 'all' ? Object.keys(BENCHES).filter((n) => n !== 'reproduce') : [name];
  for (const n of names) {
    if (!(n in BENCHES)) throw new UsageError(`unknown bench "${n}" (have: ${Object.keys(BENCHES).join(', ')})`);
  }
  const opened: { device: Promise<Device> | null } = { device: null };
  const ctx: BenchContext = {
    device: () => (opened.device ??= createDevice(adapter ? { adapter } : {})),
    emit: (row) => process.stdout.write(json ? `${JSON.stringify(row)}\n` : `${Object.entries(row).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ')}\n`),
    quick,
    args,
    adapter,
  };
  try {
    for (const n of names) await (await BENCHES[n]!()).run(ctx);
  } finally {
    if (opened.device !== null) (await opened.device).destroy();
  }
}
