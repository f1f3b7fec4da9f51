// Annotation methods: plug-ins that turn a corpus (and, for some, its existing training pairs) into
// training pairs, so the sweep can compare the data-size laws of annotations of different quality, all
// evaluated on the same human test pairs (paper §5).
//
// A method returns an Annotation: a RetrievalData that PairDataset trains on directly. It holds
//   - every corpus passage, same ids and order, so random negatives are corpus passages;
//   - the generated pairs in split `split`; a positive is a corpus passage or a derived text (ICT's
//     passage minus its query sentence, a crop), appended after the corpus;
//   - the held-out splits' qrels (and their queries), so their positives never become training
//     passages or random negatives;
//   - the derived positives listed again in split DERIVED_SPLIT, which is held out: random negatives then
//     come from the corpus only, whatever the method, so methods differ in their pairs and nothing else.
import { ConfigError } from '../errors.js';
import { RetrievalData } from '../data/retrieval.js';

/** The split of an Annotation that lists the derived positives (held out of the negative pool). */
export const DERIVED_SPLIT = 'annotate.derived';

/** What a method annotates. */
export interface AnnotateContext {
  /** The corpus and its human qrels. */
  data: RetrievalData;
  /** The human training split: its pairs (human) or its positive passages (ict, crop) are the source. */
  split: string;
  /** Splits that must never be trained on (the evaluation split); their positives are never sources. */
  heldOutSplits: readonly string[];
  /** Seed of every random choice a method makes. */
  seed: number;
}

/**
 * Training pairs made by a method: train with
 * `PairDataset.fromRetrievalData(a.data, { split: a.split, heldOutSplits: a.heldOutSplits, pairs: D })`.
 */
export interface Annotation {
  method: string;
  data: RetrievalData;
  split: string;
  heldOutSplits: string[];
  /** Pairs available (the largest D this annotation supports). */
  pairs: number;
}

/**
 * A plug-in that makes training pairs. Deterministic: the same context gives the same annotation.
 *
 * @example
 * const myMethod: AnnotationMethod = {
 *   name: 'title',
 *   annotate: (ctx) => annotationFromPairs(ctx, 'title', pairsFromTitles(ctx.data)),
 * };
 */
export interface AnnotationMethod {
  readonly name: string;
  /** One line for `--help` and reports. */
  readonly summary: string;
  annotate(context: AnnotateContext): Annotation | Promise<Annotation>;
}

/** A generated pair: a query and either a corpus passage (by index) or a new positive text. */
export type GeneratedPair = { query: string; passageIndex: number } | { query: string; passage: string };

/**
 * The positive passages of the training split in qrels order, without held-out positives: what ICT and
 * cropping annotate, so that at every D they see the same passages human annotation does.
 */
export function sourcePassages(context: AnnotateContext): Int32Array {
  const held = heldOutPassages(context);
  const passages = context.data.positives(context.split).passage;
  return passages.filter((p) => held[p] === 0);
}

/** 1 for each passage that is a positive of a held-out split. */
export function heldOutPassages(context: AnnotateContext): Uint8Array {
  const held = new Uint8Array(context.data.passageCount);
  for (const split of context.heldOutSplits) {
    if (split === context.split) throw new ConfigError(`the training split "${split}" cannot also be held out`, 'heldOutSplits');
    const { passage } = context.data.positives(split);
    for (let i = 0; i < passage.length; i++) held[passage[i]!] = 1;
  }
  return held;
}

/**
 * Builds the Annotation of generated pairs over the context's corpus (see the layout at the top of
 * this file). Query ids are `<method>:<k>`, derived passage ids `<method>:<k>` too (their own id space).
 *
 * @example
 * const a = annotationFromPairs(ctx, 'mine', [{ query: 'what is a dog', passageIndex: 17 }]);
 * PairDataset.fromRetrievalData(a.data, { split: a.split, heldOutSplits: a.heldOutSplits });
 */
export function annotationFromPairs(context: AnnotateContext, method: string, pairs: readonly GeneratedPair[]): Annotation {
  const { data } = context;
  if (pairs.length === 0) throw new ConfigError(`method "${method}" produced no training pairs`, 'method');
  const split = 'train';
  for (const s of context.heldOutSplits) {
    if (s === split || s === DERIVED_SPLIT) throw new ConfigError(`a held-out split may not be named "${s}": an annotation uses that name`, 'heldOutSplits');
  }
  const held = heldOutPassages(context);
  const derivedId = (k: number) => `${method}:${k}`;
  const passages: { id: string; text: string; title?: string }[] = [];
  for (let i = 0; i < data.passageCount; i++) {
    const p = data.passage(i);
    passages.push(p.title === '' ? { id: p.id, text: p.text } : p);
  }
  const queries: { id: string; text: string }[] = [];
  const trainQrels: { queryId: string; passageId: string }[] = [];
  const derivedQrels: { queryId: string; passageId: string }[] = [];
  pairs.forEach((pair, k) => {
    const queryId = derivedId(k);
    queries.push({ id: queryId, text: pair.query });
    if ('passageIndex' in pair) {
      const p = pair.passageIndex;
      if (!(Number.isInteger(p) && p >= 0 && p < data.passageCount)) throw new ConfigError(`pair ${k}: passage index ${p} outside the corpus`, 'passageIndex');
      if (held[p] === 1) throw new ConfigError(`pair ${k}: passage "${data.passageId(p)}" is a positive of a held-out split`, 'passageIndex');
      trainQrels.push({ queryId, passageId: data.passageId(p) });
    } else {
      const passageId = derivedId(k);
      if (data.passageIndex(passageId) >= 0) throw new ConfigError(`derived passage id "${passageId}" collides with a corpus passage`, 'method');
      passages.push({ id: passageId, text: pair.passage });
      trainQrels.push({ queryId, passageId });
      derivedQrels.push({ queryId, passageId });
    }
  });
  const qrels: Record<string, { queryId: string; passageId: string; score?: number }[]> = { [split]: trainQrels };
  const heldQueries = new Set<number>();
  for (const s of context.heldOutSplits) {
    const q = data.qrels(s);
    qrels[s] = Array.from(q.query, (query, i) => {
      heldQueries.add(query);
      return { queryId: `held:${data.queryId(query)}`, passageId: data.passageId(q.passage[i]!), score: q.score[i]! };
    });
  }
  for (const q of [...heldQueries].sort((a, b) => a - b)) queries.push({ id: `held:${data.queryId(q)}`, text: data.queryText(q) });
  qrels[DERIVED_SPLIT] = derivedQrels;
  return {
    method,
    data: RetrievalData.fromRecords({ passages, queries, qrels }),
    split,
    heldOutSplits: [...context.heldOutSplits, DERIVED_SPLIT],
    pairs: pairs.length,
  };
}
