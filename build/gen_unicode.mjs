// build/gen_unicode.mjs → assembly/unicode.ts: the per-code-point tables of BERT's normalizer and
// pre-tokenizer, as Hugging Face `tokenizers` (the Rust crate behind BertTokenizerFast) applies them.
//
// Source of the data: this Node's ICU (Node 20.20: ICU 78.2, Unicode 17.0): `\p{..}` regexes for the
// general categories and White_Space, String.prototype.normalize('NFD') for canonical decompositions
// and (by probing the reordering) canonical combining classes, toLowerCase for the case mapping.
//
// Why a second version appears: HF tokenizers does not use one Unicode version. Probing tokenizers 0.23.2
// (npm `tokenizers`, native) code point by code point shows:
//   - general categories (is_other → control, is_punctuation, is_mark_nonspacing) come from the
//     `unicode_categories` 0.1.1 crate, whose tables are Unicode 8.0 and were generated from
//     UnicodeData.txt alone, so its "Cn" table is empty: unassigned code points are never "control";
//   - NFD and combining classes come from `unicode-normalization-alignments` 0.1.12: Unicode 9.0;
//   - White_Space (char::is_whitespace) and lower-casing (char::to_lowercase) come from Rust's std,
//     which agrees with ICU's Unicode 17.0 on every code point.
// Parity with the reference wins, so the tables below are Unicode 17.0 with the code points whose
// 8.0/9.0 properties differ overridden (HF_TOGGLES): characters assigned after 8.0 that are P*, Mn or Cf
// today, the few whose category changed since (e.g. U+166D Po → So in 12.0), decompositions and
// combining classes of characters added after 9.0. Those lists are data, not guesses: run
//   node build/gen_unicode.mjs --probe-hf   to print them again from the installed reference, and
//   node build/gen_unicode.mjs --check-hf   to fail if the reference and the embedded lists disagree.
// The CJK ranges are HF's `is_chinese_char` (note 0x2B820..0x2B91F is absent there, unlike Python BERT).
//
// Layout (see the header of the generated file): a two-stage table maps a code point to a record index;
// a record holds flags, a combining-class rank and a lower-case delta. Canonical decompositions live in a
// sorted key list (binary search; only looked up when accents are stripped), Hangul syllables are
// decomposed arithmetically, and the one-to-many lower-case mappings (U+0130) in a small list.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(root, 'assembly', 'unicode.ts');
const MAX_CP = 0x10ffff;

// HF's is_chinese_char ranges (tokenizers/src/normalizers/bert.rs), confirmed by probing.
const CJK_RANGES = [
  [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xf900, 0xfaff], [0x20000, 0x2a6df],
  [0x2a700, 0x2b81f], [0x2b920, 0x2ceaf], [0x2f800, 0x2fa1f],
];

// Code points where HF tokenizers 0.23.2 differs from Unicode 17.0, per property (ranges, hex).
// Printed by --probe-hf; each list toggles the property it names.
const HF_TOGGLES = {
  // clean_text removes Cc/Cf/Co of Unicode 8.0 (and U+0000, U+FFFD): Cf assigned later is kept.
  control: '890-891 8e2 110cd 13430-1343f',
  // BertPreTokenizer punctuation: P* of Unicode 8.0 (plus the ASCII symbol ranges).
  punct:
    '61d 9fd a76 c77 c84 166d 1b4e-1b4f 1b7d-1b7f 2e43-2e4f 2e52-2e5d 10d6e 10ead 10ed0 10f55-10f59 ' +
    '10f86-10f89 111c9 113d4-113d5 113d7-113d8 1144b-1144f 1145a-1145b 1145d 11660-1166c 116b9 1183b ' +
    '11944-11946 119e2 11a3f-11a46 11a9a-11a9c 11a9e-11aa2 11b00-11b09 11be1 11c41-11c45 11c70-11c71 ' +
    '11ef7-11ef8 11f43-11f4f 11fff 12ff1-12ff2 16d6d-16d6f 16e97-16e9a 16fe2 1e5ff 1e95e-1e95f',
  // strip_accents drops Mn of Unicode 8.0.
  mn:
    '7fd 897-89f 8ca-8e1 9fe afa-aff b55 c04 c3c d00 d3b-d3c d81 eba ece 1734 180f 1885-1886 1abf-1add ' +
    '1ae0-1aeb 1df6-1dfb a82c a8c5 a8ff a9bd 10d24-10d27 10d69-10d6d 10eab-10eac 10efa-10eff 10f46-10f50 ' +
    '10f82-10f85 11070 11073-11074 110c2 111c9 111cf 1123e 11241 1133b 113bb-113c0 113ce 113d0 113d2 ' +
    '113e1-113e2 11438-1143f 11442-11444 11446 1145e 1171e 1182f-11837 11839-1183a 1193b-1193c 1193e ' +
    '11943 119d4-119d7 119da-119db 119e0 11a01-11a0a 11a33-11a38 11a3b-11a3e 11a47 11a51-11a56 ' +
    '11a59-11a5b 11a8a-11a96 11a98-11a99 11b60 11b62-11b64 11b66 11c30-11c36 11c38-11c3d 11c3f ' +
    '11c92-11ca7 11caa-11cb0 11cb2-11cb3 11cb5-11cb6 11d31-11d36 11d3a 11d3c-11d3d 11d3f-11d45 11d47 ' +
    '11d90-11d91 11d95 11d97 11ef3-11ef4 11f00-11f01 11f36-11f3a 11f40 11f42 11f5a 13440 13447-13455 ' +
    '1611e-16129 1612d-1612f 16f4f 16fe4 1cf00-1cf2d 1cf30-1cf46 1e000-1e006 1e008-1e018 1e01b-1e021 ' +
    '1e023-1e024 1e026-1e02a 1e08f 1e130-1e136 1e2ae 1e2ec-1e2ef 1e4ec-1e4ef 1e5ee-1e5ef 1e6e3 1e6e6 ' +
    '1e6ee-1e6ef 1e6f5 1e944-1e94a',
  // NFD of Unicode 9.0: decompositions added later are absent.
  nfdNone: '105c9 105e4 11383 11385 1138e 11391 113c5 113c7-113c8 11938 16121-16128 16d68-16d6a',
  // Combining classes of Unicode 9.0: marks added later are starters (ccc 0), so they are not reordered.
  starter:
    '7fd 897-89f 8ca-8d3 9fe c3c d3b-d3c eba 1715 1abf-1add 1ae0-1aeb 1df6-1dfa a82c 10d24-10d27 ' +
    '10d69-10d6d 10eab-10eac 10efa-10efb 10efd-10eff 10f46-10f50 10f82-10f85 11070 1133b 113ce-113d0 ' +
    '1145e 11839-1183a 1193d-1193e 11943 119e0 11a34 11a47 11a99 11d42 11d44-11d45 11d97 11f41-11f42 ' +
    '1612f 16ff0-16ff1 1e08f 1e130-1e136 1e2ae 1e2ec-1e2ef 1e4ec-1e4ef 1e5ee-1e5ef 1e6e3 1e6e6 ' +
    '1e6ee-1e6ef 1e6f5',
};

const hex = (n) => n.toString(16);

function parseRanges(s) {
  const out = [];
  for (const part of s.split(/\s+/).filter(Boolean)) {
    const [a, b = a] = part.split('-');
    out.push([parseInt(a, 16), parseInt(b, 16)]);
  }
  return out;
}

function toRanges(cps) {
  const r = [];
  for (const x of [...cps].sort((a, b) => a - b)) {
    const last = r[r.length - 1];
    if (last && last[1] === x - 1) last[1] = x;
    else r.push([x, x]);
  }
  return r.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join(' ');
}

function* codePoints() {
  for (let cp = 0; cp <= MAX_CP; cp++) if (cp < 0xd800 || cp > 0xdfff) yield cp;
}

const isAsciiPunct = (cp) => (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
const isHangulSyllable = (cp) => cp >= 0xac00 && cp <= 0xd7a3;
const isCjk = (cp) => CJK_RANGES.some(([a, b]) => cp >= a && cp <= b);

/** Unicode 17.0 properties from ICU, before the HF overrides. */
function icuProperties() {
  const reControl = /^[\p{Cc}\p{Cf}\p{Co}]$/u;
  const reWhite = /^\p{White_Space}$/u;
  const rePunct = /^\p{P}$/u;
  const reMn = /^\p{Mn}$/u;
  const control = new Set(), white = new Set(), punct = new Set(), mn = new Set();
  const nfd = new Map(); // cp → decomposition (array of cps), full canonical, Hangul excluded
  const lower = new Map(); // cp → array of cps when different
  for (const cp of codePoints()) {
    const c = String.fromCodePoint(cp);
    // BERT's is_control keeps \t \n \r (they are whitespace).
    if (reControl.test(c) && cp !== 9 && cp !== 10 && cp !== 13) control.add(cp);
    if (reWhite.test(c)) white.add(cp);
    if (rePunct.test(c) || isAsciiPunct(cp)) punct.add(cp);
    if (reMn.test(c)) mn.add(cp);
    const d = c.normalize('NFD');
    if (d !== c && !isHangulSyllable(cp)) nfd.set(cp, [...d].map((x) => x.codePointAt(0)));
    const l = c.toLowerCase();
    if (l !== c) lower.set(cp, [...l].map((x) => x.codePointAt(0)));
  }
  return { control, white, punct, mn, nfd, lower, ccc: combiningClassRanks(nfd) };
}

/**
 * Combining classes as ranks (same order as the real ccc values, which JS does not expose): a
 * character X is a non-starter iff NFD moves it across U+0345 (ccc 240) or moves U+0334 (ccc 1) across
 * it; two non-starters X, Y compare by whether NFD swaps "aXY". Only NFD-stable characters need one.
 */
function combiningClassRanks(nfd) {
  const nonStarters = [];
  for (const cp of codePoints()) {
    if (cp < 0x300 || nfd.has(cp) || isHangulSyllable(cp)) continue;
    const c = String.fromCodePoint(cp);
    if (('a\u0345' + c).normalize('NFD') === 'a' + c + '\u0345' || ('a' + c + '\u0334').normalize('NFD') === 'a\u0334' + c) {
      nonStarters.push(cp);
    }
  }
  const cmp = (x, y) => {
    const X = String.fromCodePoint(x), Y = String.fromCodePoint(y);
    if (('a' + X + Y).normalize('NFD') === 'a' + Y + X) return 1;
    if (('a' + Y + X).normalize('NFD') === 'a' + X + Y) return -1;
    return 0;
  };
  nonStarters.sort((a, b) => cmp(a, b) || a - b);
  const rank = new Map();
  let r = 0;
  for (let i = 0; i < nonStarters.length; i++) {
    if (i === 0 || cmp(nonStarters[i - 1], nonStarters[i]) !== 0) r++;
    rank.set(nonStarters[i], r);
  }
  if (r > 255) throw new Error(`${r} combining-class ranks do not fit a u8`);
  return rank;
}

/** Applies HF_TOGGLES: the properties as HF tokenizers sees them. */
function hfProperties(icu) {
  const toggle = (set, ranges) => {
    for (const [a, b] of parseRanges(ranges)) for (let cp = a; cp <= b; cp++) set.has(cp) ? set.delete(cp) : set.add(cp);
  };
  toggle(icu.control, HF_TOGGLES.control);
  toggle(icu.punct, HF_TOGGLES.punct);
  toggle(icu.mn, HF_TOGGLES.mn);
  for (const [a, b] of parseRanges(HF_TOGGLES.nfdNone)) for (let cp = a; cp <= b; cp++) icu.nfd.delete(cp);
  for (const [a, b] of parseRanges(HF_TOGGLES.starter)) for (let cp = a; cp <= b; cp++) icu.ccc.delete(cp);
  return icu;
}

/**
 * Measures the reference code point by code point and returns the toggles against ICU. Each property is
 * read where it is observable on its own: clean_text removal of "a?a", BertPreTokenizer splitting "a?a"
 * into three, accent stripping of an NFD-stable "a?a", NFD of "?", and reordering around U+0345/U+0334.
 */
function probeHf(icu) {
  const require = createRequire(join(root, 'package.json'));
  const { bertNormalizer, bertPreTokenizer, nfdNormalizer } = require('tokenizers');
  const clean = bertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false });
  const strip = bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false });
  const lowerOnly = bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: true });
  const chinese = bertNormalizer({ cleanText: false, handleChineseChars: true, stripAccents: false, lowercase: false });
  const pre = bertPreTokenizer();
  const nfd = nfdNormalizer();
  const diff = { control: [], punct: [], mn: [], nfdNone: [], starter: [], white: [], lower: [], cjk: [], nfdOther: [] };
  for (const cp of codePoints()) {
    const c = String.fromCodePoint(cp);
    const s = 'a' + c + 'a';
    const cleaned = clean.normalizeString(s);
    const removedByIcu = icu.control.has(cp) || cp === 0 || cp === 0xfffd;
    if ((cleaned === 'aa') !== removedByIcu) diff.control.push(cp);
    const hfWhite = cleaned === 'a a' || pre.preTokenizeString(s).length === 2;
    if (hfWhite !== icu.white.has(cp)) diff.white.push(cp);
    const words = pre.preTokenizeString(s);
    const hfPunct = words.length === 3 && words[1][0] === c;
    if (hfPunct !== icu.punct.has(cp)) diff.punct.push(cp);
    const hfNfd = nfd.normalizeString(c);
    const icuNfd = isHangulSyllable(cp) ? c.normalize('NFD') : icu.nfd.has(cp) ? String.fromCodePoint(...icu.nfd.get(cp)) : c;
    if (hfNfd !== icuNfd) (hfNfd === c ? diff.nfdNone : diff.nfdOther).push(cp);
    if (hfNfd === c) {
      const hfMn = strip.normalizeString(s) === 'aa';
      if (hfMn !== icu.mn.has(cp)) diff.mn.push(cp);
      if (icu.ccc.has(cp)) {
        const moved = nfd.normalizeString('a\u0345' + c) === 'a' + c + '\u0345' || nfd.normalizeString('a' + c + '\u0334') === 'a\u0334' + c;
        if (!moved) diff.starter.push(cp);
      }
    }
    const l = lowerOnly.normalizeString(s);
    const icuLower = 'a' + (icu.lower.has(cp) ? String.fromCodePoint(...icu.lower.get(cp)) : c) + 'a';
    if (l !== icuLower) diff.lower.push(cp);
    if ((chinese.normalizeString(s) === `a ${c} a`) !== isCjk(cp)) diff.cjk.push(cp);
  }
  return diff;
}

/** Two-stage table: stage1[cp >> shift] = block number, blocks[(block << shift) | low bits] = record. */
function stage(recordOf, shift) {
  const size = 1 << shift;
  const blocks = new Map();
  const stage1 = [];
  const data = [];
  for (let hi = 0; hi <= MAX_CP >> shift; hi++) {
    const block = [];
    for (let lo = 0; lo < size; lo++) block.push(recordOf[(hi << shift) | lo] ?? 0);
    const key = block.join(',');
    let id = blocks.get(key);
    if (id === undefined) {
      id = blocks.size;
      blocks.set(key, id);
      data.push(...block);
    }
    stage1.push(id);
  }
  return { shift, stage1, data, bytes: stage1.length * 2 + data.length };
}

const FLAG = { REMOVE: 1, WHITE: 2, PUNCT: 4, CJK: 8, MN: 16, DECOMP: 32, LOWER_MULTI: 64 };

function build(props) {
  const records = new Map([['0|0|0', 0]]); // record 0: a plain character (no flag, starter, no case)
  const recFlags = [0], recCcc = [0], recLower = [0];
  const recordOf = new Uint16Array(MAX_CP + 1);
  const lowerMulti = [];
  for (const cp of codePoints()) {
    let flags = 0;
    if (cp === 0 || cp === 0xfffd || props.control.has(cp)) flags |= FLAG.REMOVE;
    if (props.white.has(cp)) flags |= FLAG.WHITE;
    if (props.punct.has(cp)) flags |= FLAG.PUNCT;
    if (isCjk(cp)) flags |= FLAG.CJK;
    if (props.mn.has(cp)) flags |= FLAG.MN;
    if (props.nfd.has(cp) || isHangulSyllable(cp)) flags |= FLAG.DECOMP;
    let delta = 0;
    const l = props.lower.get(cp);
    if (l !== undefined && l.length === 1) delta = l[0] - cp;
    else if (l !== undefined) {
      flags |= FLAG.LOWER_MULTI;
      lowerMulti.push([cp, l]);
    }
    const ccc = props.ccc.get(cp) ?? 0;
    const key = `${flags}|${ccc}|${delta}`;
    let id = records.get(key);
    if (id === undefined) {
      id = records.size;
      records.set(key, id);
      recFlags.push(flags);
      recCcc.push(ccc);
      recLower.push(delta);
    }
    recordOf[cp] = id;
  }
  if (records.size > 256) throw new Error(`${records.size} records do not fit a u8 index`);
  let best = null;
  for (let shift = 4; shift <= 10; shift++) {
    const s = stage(recordOf, shift);
    if (best === null || s.bytes < best.bytes) best = s;
  }
  const decompKeys = [...props.nfd.keys()].sort((a, b) => a - b);
  const decompOffsets = [0];
  const decompData = [];
  for (const k of decompKeys) {
    decompData.push(...props.nfd.get(k));
    decompOffsets.push(decompData.length);
  }
  return { recFlags, recCcc, recLower, best, decompKeys, decompOffsets, decompData, lowerMulti, records: records.size };
}

function numbers(values, perLine = 24) {
  const lines = [];
  for (let i = 0; i < values.length; i += perLine) lines.push('  ' + values.slice(i, i + perLine).join(', ') + ',');
  return lines.join('\n');
}

function emit(t) {
  const { best } = t;
  const lowerKeys = t.lowerMulti.map(([k]) => k);
  const lowerOffsets = [0];
  const lowerData = [];
  for (const [, v] of t.lowerMulti) {
    lowerData.push(...v);
    lowerOffsets.push(lowerData.length);
  }
  const v = process.versions;
  return `// GENERATED by build/gen_unicode.mjs. Do not edit; rerun \`node build/gen_unicode.mjs\`.
//
// Data: Unicode ${v.unicode} from Node ${v.node} (ICU ${v.icu}), overridden where HF tokenizers 0.23.2 uses older
// tables: general categories of Unicode 8.0 (unicode_categories 0.1.1), NFD and combining classes of
// Unicode 9.0 (unicode-normalization-alignments 0.1.12). White_Space and lower-casing are Rust std's and
// equal Unicode ${v.unicode} everywhere. See the generator for the override lists and how they are checked.
//
// Lookup: record = CP_RECORDS[(CP_STAGE1[cp >> ${best.shift}] << ${best.shift}) | (cp & ${(1 << best.shift) - 1})] (${t.records} distinct records,
// ${best.stage1.length} + ${best.data.length / (1 << best.shift)} blocks, ${best.bytes} bytes); then REC_FLAGS/REC_CCC/REC_LOWER[record].
// Flags: REMOVE = dropped by clean_text (U+0000, U+FFFD, Cc/Cf/Co but \\t \\n \\r), WHITE = char::is_whitespace,
// PUNCT = ASCII 33-47/58-64/91-96/123-126 or P*, CJK = is_chinese_char, MN = Mn (dropped by strip_accents),
// DECOMP = has a canonical decomposition (DECOMP_* below, or Hangul arithmetic), LOWER_MULTI = lower-cases to
// several code points (LOWER_MULTI_* below). REC_CCC: 0 = starter, else the rank of the canonical combining
// class (same order as the ccc values). REC_LOWER: lower(cp) - cp.

export const FLAG_REMOVE: u32 = ${FLAG.REMOVE};
export const FLAG_WHITE: u32 = ${FLAG.WHITE};
export const FLAG_PUNCT: u32 = ${FLAG.PUNCT};
export const FLAG_CJK: u32 = ${FLAG.CJK};
export const FLAG_MN: u32 = ${FLAG.MN};
export const FLAG_DECOMP: u32 = ${FLAG.DECOMP};
export const FLAG_LOWER_MULTI: u32 = ${FLAG.LOWER_MULTI};

export const STAGE_SHIFT: u32 = ${best.shift};

export const CP_STAGE1: usize = memory.data<u16>([
${numbers(best.stage1)}
]);

export const CP_RECORDS: usize = memory.data<u8>([
${numbers(best.data, 32)}
]);

export const REC_FLAGS: usize = memory.data<u8>([
${numbers(t.recFlags)}
]);

export const REC_CCC: usize = memory.data<u8>([
${numbers(t.recCcc)}
]);

export const REC_LOWER: usize = memory.data<i32>([
${numbers(t.recLower, 16)}
]);

export const DECOMP_COUNT: i32 = ${t.decompKeys.length};

export const DECOMP_KEYS: usize = memory.data<u32>([
${numbers(t.decompKeys, 16)}
]);

export const DECOMP_OFFSETS: usize = memory.data<u16>([
${numbers(t.decompOffsets)}
]);

export const DECOMP_DATA: usize = memory.data<u32>([
${numbers(t.decompData, 16)}
]);

export const LOWER_MULTI_COUNT: i32 = ${lowerKeys.length};

export const LOWER_MULTI_KEYS: usize = memory.data<u32>([${lowerKeys.join(', ')}]);

export const LOWER_MULTI_OFFSETS: usize = memory.data<u16>([${lowerOffsets.join(', ')}]);

export const LOWER_MULTI_DATA: usize = memory.data<u32>([${lowerData.join(', ')}]);

/** The record index of a code point (0 = a plain character). */
@inline
export function cpRecord(cp: u32): u32 {
  const block = <usize>load<u16>(CP_STAGE1 + (<usize>(cp >> STAGE_SHIFT) << 1));
  return <u32>load<u8>(CP_RECORDS + ((block << STAGE_SHIFT) | <usize>(cp & ${(1 << best.shift) - 1})));
}

@inline
export function recFlags(rec: u32): u32 {
  return <u32>load<u8>(REC_FLAGS + <usize>rec);
}

@inline
export function recCcc(rec: u32): u32 {
  return <u32>load<u8>(REC_CCC + <usize>rec);
}

@inline
export function recLowerDelta(rec: u32): i32 {
  return load<i32>(REC_LOWER + (<usize>rec << 2));
}
`;
}

// The tables and HF_TOGGLES are relative to this Unicode version; another ICU would shift them (new
// characters, changed categories) and silently break parity, so it must be a deliberate choice.
const PINNED_UNICODE = '17.0';
const mode = process.argv[2];
if (process.versions.unicode !== PINNED_UNICODE && !process.argv.includes('--any-unicode')) {
  console.error(
    `gen_unicode: this Node has Unicode ${process.versions.unicode}, the tables are pinned to ${PINNED_UNICODE}. ` +
      'Use Node 20.20 (ICU 78), or pass --any-unicode and then re-probe (--probe-hf) and update PINNED_UNICODE and HF_TOGGLES.',
  );
  process.exit(1);
}
const icu = icuProperties();
if (mode === '--probe-hf' || mode === '--check-hf') {
  const diff = probeHf(icu);
  for (const k of ['white', 'lower', 'cjk', 'nfdOther']) {
    if (diff[k].length) console.error(`unexpected: HF ${k} differs from ICU at ${toRanges(diff[k])} (extend HF_TOGGLES)`);
  }
  const fresh = { control: toRanges(diff.control), punct: toRanges(diff.punct), mn: toRanges(diff.mn), nfdNone: toRanges(diff.nfdNone), starter: toRanges(diff.starter) };
  if (mode === '--probe-hf') {
    console.log(JSON.stringify(fresh, null, 2));
  } else {
    const stale = Object.keys(fresh).filter((k) => fresh[k] !== toRanges(parseRanges(HF_TOGGLES[k]).flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i))));
    const extra = ['white', 'lower', 'cjk', 'nfdOther'].filter((k) => diff[k].length);
    if (stale.length || extra.length) {
      console.error(`gen_unicode: HF_TOGGLES out of date for: ${[...stale, ...extra].join(', ')}`);
      process.exit(1);
    }
    console.log('gen_unicode: HF_TOGGLES match the installed tokenizers');
  }
} else {
  const t = build(hfProperties(icu));
  writeFileSync(outFile, emit(t));
  console.log(
    `gen_unicode: ${t.records} records, stage shift ${t.best.shift} (${t.best.bytes} B), ${t.decompKeys.length} decompositions, ` +
      `${t.lowerMulti.length} multi-code-point lower-case mappings → assembly/unicode.ts`,
  );
}
