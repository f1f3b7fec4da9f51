// Annotations from a JSONL file, one pair per line, so users can bring their own queries (e.g. written by
// an LLM, as in the paper's §5):
//   {"query": "...", "passage_id": "<corpus id>"}   the positive is a corpus passage
//   {"query": "...", "passage": "..."}               the positive is this text
// Other keys are ignored. Blank lines are skipped. Pairs keep the file's order (the sweep's seeded subset
// shuffle then picks D of them, as for human pairs).
import { FormatError } from '../errors.js';
import { jsonlObjects } from '../util/jsonl.js';
import { annotationFromPairs, heldOutPassages, type AnnotateContext, type Annotation, type AnnotationMethod, type GeneratedPair } from './annotation.js';

/** Parses the JSONL text against a corpus; every problem is a FormatError naming the file, line and field. */
export function parsePairsJsonl(text: string, file: string, context: AnnotateContext): GeneratedPair[] {
  const held = heldOutPassages(context);
  const pairs: GeneratedPair[] = [];
  for (const { row, line } of jsonlObjects(text, file)) {
    const { query, passage_id: passageId, passage } = row;
    if (typeof query !== 'string' || query.trim() === '') throw new FormatError('expected a non-empty string', file, line, 'query');
    if ((passageId === undefined) === (passage === undefined)) throw new FormatError('expected exactly one of "passage_id" and "passage"', file, line);
    if (passageId !== undefined) {
      if (typeof passageId !== 'string' && typeof passageId !== 'number') throw new FormatError('expected a string id', file, line, 'passage_id');
      const index = context.data.passageIndex(String(passageId));
      if (index < 0) throw new FormatError(`no passage "${passageId}" in the corpus`, file, line, 'passage_id');
      if (held[index] === 1) throw new FormatError(`passage "${passageId}" is a positive of a held-out split (${context.heldOutSplits.join(', ')}): training on it would leak the test set`, file, line, 'passage_id');
      pairs.push({ query, passageIndex: index });
    } else {
      if (typeof passage !== 'string' || passage.trim() === '') throw new FormatError('expected a non-empty string', file, line, 'passage');
      pairs.push({ query, passage });
    }
  }
  if (pairs.length === 0) throw new FormatError('no pairs (the file has no non-blank lines)', file);
  return pairs;
}

/**
 * A method that reads its pairs from JSONL text (the caller reads the file: the library does no IO).
 *
 * @example
 * const llm = fileMethod(readFileSync('llm_queries.jsonl', 'utf8'), 'llm_queries.jsonl', 'llm');
 * const a = await llm.annotate({ data, split: 'train', heldOutSplits: ['test'], seed: 0 });
 */
export function fileMethod(text: string, file: string, name = 'file'): AnnotationMethod {
  return {
    name,
    summary: `pairs from ${file}`,
    annotate(context: AnnotateContext): Annotation {
      return annotationFromPairs(context, name, parsePairsJsonl(text, file, context));
    },
  };
}
