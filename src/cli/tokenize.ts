// densescale tokenize: stdin lines → one JSON array of token ids per line on stdout. Streams: lines are
// tokenised in batches (one wasm call each) as they arrive, so memory stays flat on any input size.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { num, parse, UsageError } from './args.js';

export const summary = 'token ids of stdin lines, one JSON array per line: --vocab vocab.txt|tokenizer.json [--cased] [--special] [--max-length N]';

export const USAGE = 'usage: densescale tokenize --vocab <vocab.txt|tokenizer.json> [--cased] [--special] [--max-length N] < lines';
const BATCH_LINES = 2048;
const BATCH_CHARS = 1 << 20;

/** Loads the tokenizer named by --vocab: a tokenizer.json (by extension or content) or a vocab.txt. */
async function loadTokenizer(path: string, cased: boolean): Promise<Tokenizer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--vocab: cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (path.endsWith('.json') || text.trimStart().startsWith('{')) {
    if (cased) throw new UsageError('--cased applies to a vocab.txt; a tokenizer.json carries its own normalizer settings');
    return Tokenizer.fromTokenizerJson(text);
  }
  return Tokenizer.fromVocab(text, { lowercase: !cased });
}

/**
 * Tokenises every line of `input` to `output` (one JSON array of ids per line). Exported for tests, which
 * drive it with in-memory streams.
 */
export async function tokenizeLines(
  tok: Tokenizer,
  input: Readable,
  output: Writable,
  options: { addSpecialTokens: boolean; maxLength?: number },
): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let batch: string[] = [];
  let chars = 0;
  let count = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const { ids, offsets } = tok.encodeRagged(batch, options);
    let out = '';
    for (let i = 0; i < batch.length; i++) out += `[${ids.subarray(offsets[i]!, offsets[i + 1]!).join(',')}]\n`;
    count += batch.length;
    batch = [];
    chars = 0;
    if (!output.write(out)) await new Promise<void>((resolve) => output.once('drain', resolve));
  };
  for await (const line of lines) {
    batch.push(line);
    chars += line.length;
    if (batch.length >= BATCH_LINES || chars >= BATCH_CHARS) await flush();
  }
  await flush();
  return count;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    vocab: { type: 'string' },
    cased: { type: 'boolean' },
    special: { type: 'boolean' },
    'max-length': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const path = values.vocab as string | undefined;
  if (path === undefined) throw new UsageError(`--vocab is required\n${USAGE}`);
  const addSpecialTokens = values.special === true;
  const maxLength = values['max-length'] === undefined ? undefined : num(values['max-length'] as string, 'max-length', 0, { int: true, min: addSpecialTokens ? 2 : 1 });
  const tok = await loadTokenizer(path, values.cased === true);
  try {
    await tokenizeLines(tok, process.stdin, process.stdout, { addSpecialTokens, maxLength });
  } finally {
    tok.free();
  }
}
