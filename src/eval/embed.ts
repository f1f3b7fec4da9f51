// Text → embedding tables for evaluation: tokenise a window of texts, sort it by token count so that
// batches carry little padding, embed batch by batch, and put every row back in the caller's order.
//
// Sorting and padding to the batch's longest row are free of numerical side effects: the encoder
// computes each sequence on its own (attention walks only its own keys, padded key blocks are skipped,
// matmul rows are independent, mean pooling adds exact zeros for padding), so a text's embedding is the
// same bits whatever batch or padding length it is embedded with (tests/eval/embed.test.ts checks this).
// That is what lets evaluation embed any subset of passages, in any grouping, and still agree bit for
// bit with an evaluation that embedded them differently.
import { ConfigError } from '../errors.js';
import type { BiEncoder } from '../model/biencoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

/** Texts tokenised per window: bounds the ids held at once, large enough to sort lengths usefully. */
const WINDOW_TEXTS = 4096;
/** Tokens per model.embed call: the default activation chunk of an inference-only BiEncoder. */
const BATCH_TOKENS = 8192;

export type Tower = 'query' | 'passage';

export interface EmbedTextOptions {
  tower: Tower;
  /** Truncate each text to this many ids, [CLS] and [SEP] included. */
  maxLength: number;
  /** Called after each window with the number of texts embedded so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Embeds `count` texts, text j being `textOf(j)`, with the query or passage tower: (count, D) row-major,
 * row j the embedding of text j. Texts stream through in windows, so only one window's ids are held.
 *
 * @example
 * const queries = await embedTexts(model, tokenizer, 2, (j) => ['what is webgpu', 'who wrote bert'][j]!, { tower: 'query', maxLength: 32 });
 * queries.length; // 2 * model.embeddingSize
 */
export async function embedTexts(model: BiEncoder, tokenizer: Tokenizer, count: number, textOf: (j: number) => string, options: EmbedTextOptions): Promise<Float32Array> {
  const D = model.embeddingSize;
  const out = new Float32Array(count * D);
  for await (const w of embedWindows(model, tokenizer, count, textOf, options)) out.set(w.embeddings, w.first * D);
  return out;
}

/** One window of embedded texts: rows first … first + count − 1, (count, D) row-major. */
export interface EmbeddedWindow {
  first: number;
  count: number;
  embeddings: Float32Array;
}

/**
 * embedTexts as a stream of windows in text order, for consumers that use each window and drop it
 * (ranking a corpus larger than memory). The next window is tokenised while the GPU embeds this one.
 *
 * @example
 * for await (const w of embedWindows(model, tokenizer, data.passageCount, (j) => data.passageText(j), { tower: 'passage', maxLength: 180 })) {
 *   use(w.first, w.embeddings);
 * }
 */
export async function* embedWindows(
  model: BiEncoder,
  tokenizer: Tokenizer,
  count: number,
  textOf: (j: number) => string,
  options: EmbedTextOptions,
  windowTexts = WINDOW_TEXTS,
): AsyncGenerator<EmbeddedWindow> {
  const { tower, maxLength } = options;
  if (!(Number.isInteger(maxLength) && maxLength >= 2)) throw new ConfigError(`must be an integer ≥ 2 ([CLS] and [SEP]), got ${maxLength}`, tower === 'query' ? 'queryLength' : 'passageLength');
  if (!(Number.isInteger(windowTexts) && windowTexts >= 1)) throw new ConfigError(`must be a positive integer, got ${windowTexts}`, 'windowTexts');
  const start = (first: number) => {
    const n = Math.min(windowTexts, count - first);
    const texts = Array.from({ length: n }, (_, j) => textOf(first + j));
    const embeddings = embedWindow(model, tokenizer, texts, tower, maxLength);
    // Awaited later; a failure surfaces there, not as an unhandled rejection if the consumer stops first.
    embeddings.catch(() => undefined);
    return { first, count: n, embeddings };
  };
  let pending = count > 0 ? start(0) : null;
  while (pending !== null) {
    const next = pending.first + pending.count < count ? start(pending.first + pending.count) : null;
    yield { first: pending.first, count: pending.count, embeddings: await pending.embeddings };
    options.onProgress?.(pending.first + pending.count, count);
    pending = next;
  }
}

/**
 * Tokenises one window, then records its batches (shortest texts first) without waiting: model.embed
 * submits each chunk as it goes, so the GPU is busy while the caller prepares the next window.
 */
function embedWindow(model: BiEncoder, tokenizer: Tokenizer, texts: readonly string[], tower: Tower, maxLength: number): Promise<Float32Array> {
  const D = model.embeddingSize;
  const n = texts.length;
  const { ids, offsets } = tokenizer.encodeRagged(texts, { maxLength });
  const lengthOf = (j: number) => offsets[j + 1]! - offsets[j]!;
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => lengthOf(a) - lengthOf(b) || a - b);
  const out = new Float32Array(n * D);
  const pieces: Promise<void>[] = [];
  for (let s = 0; s < n; ) {
    // Sorted ascending, so a batch's longest row is its last: grow the batch while it fits the budget.
    let e = s + 1;
    while (e < n && (e + 1 - s) * lengthOf(order[e]!) <= BATCH_TOKENS) e++;
    const rows = order.slice(s, e);
    const L = lengthOf(rows[rows.length - 1]!);
    const batchIds = new Int32Array(rows.length * L);
    const batchMask = new Int32Array(rows.length * L);
    rows.forEach((j, r) => {
      batchIds.set(ids.subarray(offsets[j]!, offsets[j + 1]!), r * L);
      batchMask.fill(1, r * L, r * L + lengthOf(j));
    });
    pieces.push(
      model.embed(tower, batchIds, batchMask, rows.length, L).then((emb) => {
        rows.forEach((j, r) => out.set(emb.subarray(r * D, (r + 1) * D), j * D));
      }),
    );
    s = e;
  }
  return Promise.all(pieces).then(() => out);
}
