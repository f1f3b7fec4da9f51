// densescale bench eval: the cost of evaluating a model as the paper does, on SQuAD-dev retrieval's
// test split (2,067 passages, 1,975 pairs) or --data DIR: passages embedded per second (the encoder
// over the whole corpus, texts tokenised and sorted by length as evaluation does it), then the wall
// time of a full evaluate(): contrastive entropy (W = 256, R = 10) and exact top-1000 retrieval over
// the full corpus with MRR/NDCG/Recall, with the time of each phase.
//
// The model is a seeded random init of a preset (default tiny: L2/H128, projection 768): the cost of
// evaluation does not depend on the weights. Before timing is reported, a sample of the per-pair losses
// and of the top-10 lists is checked against an f64 computation from the same embeddings.
//
// Rows: {"bench":"eval","case":"embed_passages",...,"passagesPerSec","tokensPerSec","ms"} and
// {"bench":"eval","case":"evaluate",...,"ms","phaseMs":{queries,ranking,entropy},"contrastiveEntropy",...},
// both with "adapter".
import { existsSync, readFileSync } from 'node:fs';
import { num, parse, UsageError } from '../cli/args.js';
import { loadRetrievalData } from '../data/load.js';
import { nodeSource } from '../data/node.js';
import { ConfigError } from '../errors.js';
import { embedTexts } from '../eval/embed.js';
import { planEntropy, type EvalProgress } from '../eval/entropy.js';
import { evaluate, type Evaluation } from '../eval/evaluate.js';
import { BiEncoder } from '../model/biencoder.js';
import { modelConfig, paramCount } from '../model/config.js';
import type { RetrievalData } from '../data/retrieval.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { adapterTag, type BenchContext } from './common.js';

export const summary = 'evaluation cost: passages embedded/s and a full evaluate() (CE W=256 R=10 + full-corpus top-1000) on squad11-dev-retrieval test [--data DIR] [--preset NAME]';

const DEFAULT_DATA = '../shared/data/squad11-dev-retrieval';
const DEFAULT_VOCAB = '../shared/data/bert-base-uncased-vocab/vocab.txt';
const SETTINGS = { split: 'test', negatives: 256, repeats: 10, seed: 1, queryLength: 32, passageLength: 180, k: 1000 };

function check(ok: boolean, what: string): void {
  if (!ok) throw new ConfigError(`bench eval: correctness check failed: ${what}`);
}

/** f64 inner product of two f32 rows. */
function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, D: number): { value: number; magnitude: number } {
  let value = 0;
  let magnitude = 0;
  for (let d = 0; d < D; d++) {
    const x = a[ai * D + d]! * b[bi * D + d]!;
    value += x;
    magnitude += Math.abs(x);
  }
  return { value, magnitude };
}

/**
 * Recomputes the first pairs' losses (repeat 0) and the first queries' top 10 in f64 from the corpus
 * and query embeddings, and compares them with what evaluate() reported.
 */
async function checkSample(model: BiEncoder, tokenizer: Tokenizer, data: RetrievalData, corpus: Float32Array, result: Evaluation): Promise<void> {
  const D = model.embeddingSize;
  const plan = planEntropy(model, data, SETTINGS);
  const pairs = Math.min(16, plan.query.length);
  const queries = await embedTexts(model, tokenizer, pairs, (j) => data.queryText(plan.query[j]!), { tower: 'query', maxLength: SETTINGS.queryLength });
  for (let p = 0; p < pairs; p++) {
    const candidates = [plan.positive[p]!, ...plan.negativeIndex.subarray(p * SETTINGS.negatives, (p + 1) * SETTINGS.negatives)];
    const scores = candidates.map((c) => dot(queries, p, corpus, c, D));
    const max = Math.max(...scores.map((s) => s.value));
    const want = max + Math.log(scores.reduce((a, s) => a + Math.exp(s.value - max), 0)) - scores[0]!.value;
    const tol = 1e-5 * (Math.sqrt(D) * Math.max(...scores.map((s) => s.magnitude)) + 1);
    check(Math.abs(result.entropy.losses[p]! - want) <= tol, `pair ${p}: CE ${result.entropy.losses[p]} vs f64 ${want}`);
  }
  const { retrieval } = result;
  const k = retrieval.k;
  for (let row = 0; row < Math.min(8, retrieval.queries.length); row++) {
    const q = retrieval.queries[row]!;
    const qEmb = await embedTexts(model, tokenizer, 1, () => data.queryText(q), { tower: 'query', maxLength: SETTINGS.queryLength });
    const all = Array.from({ length: data.passageCount }, (_, i) => dot(qEmb, 0, corpus, i, D).value).sort((a, b) => b - a);
    for (let j = 0; j < 10; j++) {
      const got = dot(qEmb, 0, corpus, retrieval.indices[row * k + j]!, D).value;
      check(Math.abs(got - all[j]!) <= 1e-4 * (1 + Math.abs(all[j]!)), `query ${q} rank ${j}: score ${got} vs brute force ${all[j]}`);
    }
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const { values } = parse(ctx.args, { data: { type: 'string' }, preset: { type: 'string' }, vocab: { type: 'string' }, repeats: { type: 'string' } });
  const dataDir = (values.data as string | undefined) ?? DEFAULT_DATA;
  const vocabPath = (values.vocab as string | undefined) ?? DEFAULT_VOCAB;
  const preset = (values.preset as string | undefined) ?? (ctx.quick ? 'cpu-2' : 'tiny');
  const settings = { ...SETTINGS, repeats: num(values.repeats as string | undefined, 'repeats', ctx.quick ? 2 : SETTINGS.repeats, { int: true, min: 1 }) };
  if (!existsSync(dataDir)) throw new UsageError(`--data: "${dataDir}" does not exist (run from the repository root, or pass --data DIR)`);
  if (!existsSync(vocabPath)) throw new UsageError(`--vocab: "${vocabPath}" does not exist`);

  const device = await ctx.device();
  const tokenizer = await Tokenizer.fromVocab(readFileSync(vocabPath, 'utf8'));
  const data = await loadRetrievalData(nodeSource(dataDir), { split: settings.split });
  const config = modelConfig(preset, { vocabSize: tokenizer.vocabSize });
  const model = BiEncoder.create(device, config, { seed: 0, maxLength: settings.passageLength });
  const common = { bench: 'eval', preset, params: paramCount(config, { nonEmbedding: true }), data: dataDir.replace(/^.*\//, ''), adapter: adapterTag(device) };
  try {
    const passageText = (j: number) => data.passageText(j);
    // Warm-up: pipelines compile on first use.
    await embedTexts(model, tokenizer, Math.min(64, data.passageCount), passageText, { tower: 'passage', maxLength: settings.passageLength });
    await device.sync();
    let tokens = 0;
    const { offsets } = tokenizer.encodeRagged(Array.from({ length: data.passageCount }, (_, j) => passageText(j)), { maxLength: settings.passageLength });
    for (let j = 0; j < data.passageCount; j++) tokens += offsets[j + 1]! - offsets[j]!;
    const t0 = performance.now();
    const corpus = await embedTexts(model, tokenizer, data.passageCount, passageText, { tower: 'passage', maxLength: settings.passageLength });
    const embedMs = performance.now() - t0;
    ctx.emit({
      ...common,
      case: 'embed_passages',
      passages: data.passageCount,
      tokens,
      passageLength: settings.passageLength,
      ms: Math.round(embedMs),
      passagesPerSec: Math.round((data.passageCount / embedMs) * 1000 * 10) / 10,
      tokensPerSec: Math.round((tokens / embedMs) * 1000),
    });

    const phaseEnd: Partial<Record<EvalProgress['phase'], number>> = {};
    const t1 = performance.now();
    const result = await evaluate(model, tokenizer, data, { ...settings, onProgress: (p) => (phaseEnd[p.phase] = performance.now()) });
    const end = performance.now();
    await checkSample(model, tokenizer, data, corpus, result);
    const q = phaseEnd.queries ?? t1;
    const r = phaseEnd.ranking ?? q;
    ctx.emit({
      ...common,
      case: 'evaluate',
      split: settings.split,
      pairs: result.pairs,
      queries: result.queries,
      passages: data.passageCount,
      negatives: settings.negatives,
      repeats: settings.repeats,
      k: settings.k,
      ms: Math.round(end - t1),
      phaseMs: { queries: Math.round(q - t1), ranking: Math.round(r - q), entropy: Math.round(end - r) },
      contrastiveEntropy: Math.round(result.contrastiveEntropy * 1e6) / 1e6,
      'ndcg@10': Math.round(result['ndcg@10'] * 1e6) / 1e6,
      'recall@1000': Math.round(result['recall@1000'] * 1e6) / 1e6,
    });
  } finally {
    model.destroy();
    tokenizer.free();
  }
}
