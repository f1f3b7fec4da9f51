// Inverse Cloze Task (Lee et al. 2019): a sentence of a passage is the query, the rest of the passage the
// positive, so the pair needs no annotator. One pair per source passage (the training split's positives,
// in qrels order: the passages human annotation covers at every D); the sentence is drawn uniformly from
// PCG32(seed, ICT_STREAM). A passage with a single sentence has no "rest" and gives no pair.
import { Pcg32 } from '../util/rng.js';
import { annotationFromPairs, sourcePassages, type AnnotateContext, type Annotation, type AnnotationMethod, type GeneratedPair } from './annotation.js';
import { removeSpan, sentenceAsQuery, sentenceSpans } from './text.js';

const ICT_STREAM = 0x1c7;

/**
 * The ICT pair of one passage: a uniformly drawn sentence as the query, the passage without it as the
 * positive; null when the passage has fewer than two sentences.
 *
 * @example
 * ictPair('dog: a canine; barks at night', new Pcg32(0));
 * // e.g. { query: 'a canine', passage: 'dog: barks at night' }
 */
export function ictPair(text: string, rng: Pcg32): { query: string; passage: string } | null {
  const spans = sentenceSpans(text);
  if (spans.length < 2) return null;
  const span = spans[rng.nextBelow(spans.length)]!;
  const query = sentenceAsQuery(text.slice(span[0], span[1]));
  const passage = removeSpan(text, span);
  return query === '' || passage === '' ? null : { query, passage };
}

/**
 * Inverse Cloze Task annotation.
 *
 * @example
 * const a = await ict.annotate({ data, split: 'train', heldOutSplits: ['test'], seed: 0 });
 * PairDataset.fromRetrievalData(a.data, { split: a.split, heldOutSplits: a.heldOutSplits, pairs: 1000 });
 */
export const ict: AnnotationMethod = {
  name: 'ict',
  summary: 'inverse cloze task: a sentence of the passage is the query, the rest the positive',
  annotate(context: AnnotateContext): Annotation {
    const rng = new Pcg32(context.seed, ICT_STREAM);
    const pairs: GeneratedPair[] = [];
    for (const p of sourcePassages(context)) {
      const pair = ictPair(context.data.passageText(p), rng);
      if (pair !== null) pairs.push(pair);
    }
    return annotationFromPairs(context, 'ict', pairs);
  },
};
