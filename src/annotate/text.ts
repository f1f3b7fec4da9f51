// Text segmentation for the unsupervised annotation methods: sentences (ICT) and words (cropping).
//
// Sentences end at . ! ? ; : followed by whitespace (or the end of the text), or at the CJK full-width
// 。！？；： anywhere. ';' and ':' count because dictionary glosses and many passages put independent
// clauses there (WordNet: "lemma, lemma: definition; more"). Abbreviations ("e.g. x") split too: ICT
// only needs plausible pieces, not linguistically exact sentences.
// Words are runs of non-space characters, except that every CJK ideograph is a word of its own (as BERT's
// pre-tokeniser treats them), so Chinese text without spaces still crops into spans.

/** A [start, end) range of UTF-16 offsets into a text. */
export type Span = readonly [number, number];

const SENTENCE_END = /[.!?;:](?=\s|$)|[。！？；：]/gu;
const CJK = '\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{2a6df}\\u{2a700}-\\u{2ebef}\\u{2f800}-\\u{2fa1f}';
const WORD = new RegExp(`[${CJK}]|[^\\s${CJK}]+`, 'gu');

/**
 * The sentences of a text as spans that include their closing punctuation and exclude surrounding
 * whitespace; empty pieces (only punctuation or space) are dropped.
 *
 * @example
 * sentenceSpans('dog: a canine; barks').map(([s, e]) => 'dog: a canine; barks'.slice(s, e));
 * // ['dog:', 'a canine;', 'barks']
 */
export function sentenceSpans(text: string): Span[] {
  const spans: Span[] = [];
  let start = 0;
  const push = (end: number) => {
    let s = start;
    let e = end;
    while (s < e && /\s/u.test(text[s]!)) s++;
    while (e > s && /\s/u.test(text[e - 1]!)) e--;
    if (/[\p{L}\p{N}]/u.test(text.slice(s, e))) spans.push([s, e]);
  };
  for (const m of text.matchAll(SENTENCE_END)) {
    const end = m.index + m[0].length;
    push(end);
    start = end;
  }
  push(text.length);
  return spans;
}

/**
 * The words of a text as spans (see the rule at the top of this file).
 *
 * @example
 * wordSpans('a 大狗 ran').length;   // 4: 'a', '大', '狗', 'ran'
 */
export function wordSpans(text: string): Span[] {
  return Array.from(text.matchAll(WORD), (m) => [m.index, m.index + m[0].length] as const);
}

/** A sentence used as a query: its closing punctuation dropped. */
export function sentenceAsQuery(sentence: string): string {
  return sentence.replace(/[.!?;:。！？；：]+$/u, '').trim();
}

/**
 * The text with the span cut out: the pieces on either side joined by one space (none between CJK
 * characters), and punctuation left dangling at the end of the text removed.
 *
 * @example
 * removeSpan('dog: a canine; barks', [5, 14]);   // 'dog: barks'
 */
export function removeSpan(text: string, [start, end]: Span): string {
  const before = text.slice(0, start).trimEnd();
  const after = text.slice(end).trimStart();
  const joiner = before === '' || after === '' || (isCjk(before.at(-1)!) && isCjk(after[0]!)) ? '' : ' ';
  return `${before}${joiner}${after}`.replace(/[\s,;:]+$/u, '');
}

function isCjk(ch: string): boolean {
  return new RegExp(`^[${CJK}。！？；：，、]$`, 'u').test(ch);
}
