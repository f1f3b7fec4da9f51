// densescale embed: stdin lines → one JSON array (the embedding) per line on stdout, with the query
// tower (default) or the passage tower. Streams: lines are embedded in batches as they arrive, so memory
// stays flat on any input size, and the output of a batch appears before the input ends.
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { embedTexts, type Tower } from '../eval/embed.js';
import { openModelDir } from './model_dir.js';
import { createDevice } from '../gpu/device.js';
import type { BiEncoder } from '../model/biencoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { num, parse, UsageError } from './args.js';

export const summary = 'embeddings of stdin lines, one JSON array per line: --model DIR [--passages] [--max-length N]';

export const USAGE = `usage: densescale embed --model <dir> [--passages] [--max-length N] [--adapter NAME] < lines
  --model DIR        config.json + model.safetensors + vocab.txt [+ tokenizer_config.json]
  --passages         use the passage tower (default: the query tower)
  --max-length N     tokens per text, [CLS]/[SEP] included (default: 32 for queries, 180 for passages, as eval)
  --adapter NAME     WebGPU adapter by name`;
const BATCH_LINES = 512;

/**
 * The shortest decimal that reads back as the same f32 (JSON has no f32, and printing the f64 value of
 * an f32 writes 17 digits of noise). Non-finite values become null, as JSON.stringify writes them.
 */
export function formatF32(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  for (let digits = 1; digits < 9; digits++) {
    const s = Number(x.toPrecision(digits));
    if (Math.fround(s) === x) return String(s);
  }
  return String(Number(x.toPrecision(9)));
}

/**
 * Embeds every line of `input` to `output`, one JSON array per line, in batches. Returns the number of
 * lines. Exported for tests, which drive it with in-memory streams.
 */
export async function embedLines(model: BiEncoder, tokenizer: Tokenizer, input: Readable, output: Writable, options: { tower: Tower; maxLength: number }): Promise<number> {
  const D = model.embeddingSize;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let batch: string[] = [];
  let count = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const texts = batch;
    batch = [];
    const emb = await embedTexts(model, tokenizer, texts.length, (j) => texts[j]!, options);
    let out = '';
    for (let i = 0; i < texts.length; i++) {
      const row: string[] = [];
      for (let d = 0; d < D; d++) row.push(formatF32(emb[i * D + d]!));
      out += `[${row.join(',')}]\n`;
    }
    count += texts.length;
    if (!output.write(out)) await new Promise<void>((resolve) => output.once('drain', resolve));
  };
  for await (const line of lines) {
    batch.push(line);
    if (batch.length >= BATCH_LINES) await flush();
  }
  await flush();
  return count;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    passages: { type: 'boolean' },
    'max-length': { type: 'string' },
    adapter: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const dir = values.model as string | undefined;
  if (dir === undefined) throw new UsageError(`--model is required\n${USAGE}`);
  const s = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`--model: cannot read "${dir}" (${e.code ?? e.message})`);
  });
  if (!s.isDirectory()) throw new UsageError(`--model: "${dir}" is not a directory`);
  const tower: Tower = values.passages === true ? 'passage' : 'query';
  const maxLength = num(values['max-length'] as string | undefined, 'max-length', tower === 'query' ? 32 : 180, { int: true, min: 2 });
  const adapter = values.adapter as string | undefined;
  const device = await createDevice(adapter ? { adapter } : {});
  try {
    const { model, tokenizer } = await openModelDir(device, dir, { maxLength });
    try {
      if (maxLength > model.config.maxPositions) throw new UsageError(`--max-length: ${maxLength} exceeds the model's max_position_embeddings ${model.config.maxPositions}`);
      await embedLines(model, tokenizer, process.stdin, process.stdout, { tower, maxLength });
    } finally {
      model.destroy();
      tokenizer.free();
    }
  } finally {
    device.destroy();
  }
}
