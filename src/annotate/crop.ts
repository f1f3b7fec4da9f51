// Independent random cropping (Contriever, Izacard et al. 2022): two spans of the same passage, each a
// contiguous run of words whose length is a uniform fraction in [minRatio, maxRatio] of the passage's
// words (at least one word), placed uniformly; the first span is the query, the second the positive.
// The spans may overlap, as in Contriever. One pair per source passage (see ict.ts), drawn from
// PCG32(seed, CROP_STREAM).
import { ConfigError } from '../errors.js';
import { Pcg32 } from '../util/rng.js';
import { annotationFromPairs, sourcePassages, type AnnotateContext, type Annotation, type AnnotationMethod, type GeneratedPair } from './annotation.js';
import { wordSpans, type Span } from './text.js';

const CROP_STREAM = 0xc209;

export interface CropOptions {
  /** Shortest span as a fraction of the passage's words. Default 0.1 (Contriever). */
  minRatio?: number;
  /** Longest span as a fraction of the passage's words. Default 0.5 (Contriever). */
  maxRatio?: number;
}

/** One random span of `words`: length max(1, floor(ratio·n)) with ratio uniform in [min, max]. */
function randomSpan(words: readonly Span[], minRatio: number, maxRatio: number, rng: Pcg32): Span {
  const n = words.length;
  const ratio = minRatio + (maxRatio - minRatio) * rng.nextFloat();
  const length = Math.min(n, Math.max(1, Math.floor(ratio * n)));
  const first = rng.nextBelow(n - length + 1);
  return [words[first]![0], words[first + length - 1]![1]];
}

/**
 * The crop pair of one passage, or null for a passage without words.
 *
 * @example
 * cropPair('the quick brown fox jumps over the lazy dog', new Pcg32(0));
 * // e.g. { query: 'brown fox', passage: 'over the lazy' }
 */
export function cropPair(text: string, rng: Pcg32, options: CropOptions = {}): { query: string; passage: string } | null {
  const { minRatio, maxRatio } = checkRatios(options);
  const words = wordSpans(text);
  if (words.length === 0) return null;
  const q = randomSpan(words, minRatio, maxRatio, rng);
  const p = randomSpan(words, minRatio, maxRatio, rng);
  return { query: text.slice(q[0], q[1]), passage: text.slice(p[0], p[1]) };
}

function checkRatios(options: CropOptions): { minRatio: number; maxRatio: number } {
  const minRatio = options.minRatio ?? 0.1;
  const maxRatio = options.maxRatio ?? 0.5;
  if (!(minRatio > 0 && minRatio <= maxRatio && maxRatio <= 1)) {
    throw new ConfigError(`need 0 < minRatio ≤ maxRatio ≤ 1, got ${minRatio} and ${maxRatio}`, 'crop');
  }
  return { minRatio, maxRatio };
}

/**
 * Random-cropping annotation with the given span ratios.
 *
 * @example
 * const wide = cropMethod({ minRatio: 0.3, maxRatio: 0.8 });
 * const a = await wide.annotate({ data, split: 'train', heldOutSplits: ['test'], seed: 0 });
 */
export function cropMethod(options: CropOptions = {}): AnnotationMethod {
  checkRatios(options);
  return {
    name: 'crop',
    summary: 'random cropping (Contriever): two random spans of the passage',
    annotate(context: AnnotateContext): Annotation {
      const rng = new Pcg32(context.seed, CROP_STREAM);
      const pairs: GeneratedPair[] = [];
      for (const p of sourcePassages(context)) {
        const pair = cropPair(context.data.passageText(p), rng, options);
        if (pair !== null) pairs.push(pair);
      }
      return annotationFromPairs(context, 'crop', pairs);
    },
  };
}

/** Cropping with Contriever's ratios, 0.1–0.5. */
export const crop: AnnotationMethod = cropMethod();
