// Human annotation: the dataset's own training qrels, unchanged (the paper's reference annotations).
import type { AnnotateContext, Annotation, AnnotationMethod } from './annotation.js';
import { heldOutPassages } from './annotation.js';
import { ConfigError } from '../errors.js';

/**
 * The dataset's training pairs as they are.
 *
 * @example
 * const a = await human.annotate({ data, split: 'train', heldOutSplits: ['test'], seed: 0 });
 * a.pairs === data.positives('train').query.length;   // true
 */
export const human: AnnotationMethod = {
  name: 'human',
  summary: "the dataset's training qrels (human annotations)",
  annotate(context: AnnotateContext): Annotation {
    const held = heldOutPassages(context);
    const { passage } = context.data.positives(context.split);
    const leaked = passage.findIndex((p) => held[p] === 1);
    if (leaked >= 0) {
      // A passage that is a training and a test positive would be trained on and never be a test negative.
      throw new ConfigError(`passage "${context.data.passageId(passage[leaked]!)}" is a positive of both "${context.split}" and a held-out split`, 'split');
    }
    return { method: 'human', data: context.data, split: context.split, heldOutSplits: [...context.heldOutSplits], pairs: passage.length };
  },
};
