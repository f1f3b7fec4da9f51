import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { modelConfig, paramCount, presets } from '../../src/model/config.js';

// PAPER.md: N in real units for the named compact BERTs (non-embedding, with pooler and H→768 projection).
const PAPER_N: Record<string, number> = { tiny: 0.512e6, mini: 3.422e6, small: 13.266e6, medium: 25.876e6, base: 86.236e6 };

describe('paramCount', () => {
  for (const [name, n] of Object.entries(PAPER_N)) {
    it(`${name} matches the paper's N = ${n / 1e6}M to the paper's precision`, () => {
      const got = paramCount(modelConfig(name, { vocabSize: 30522 }), { nonEmbedding: true });
      expect(Math.round(got / 1e3) / 1e3).toBe(n / 1e6);
    });
  }

  it('counts the embeddings on top of N when asked for the total, by the independent formula', () => {
    const cfg = modelConfig('tiny', { vocabSize: 30522 });
    const emb = (30522 + 512 + 2) * 128 + 2 * 128;
    expect(paramCount(cfg)).toBe(paramCount(cfg, { nonEmbedding: true }) + emb);
  });

  it('doubles the encoder for separate towers but not the projection', () => {
    const shared = modelConfig('mini', { vocabSize: 1000 });
    const split = modelConfig('mini', { vocabSize: 1000, sharedTowers: false });
    const proj = 768 * 256 + 768;
    expect(paramCount(split, { nonEmbedding: true }) - proj).toBe(2 * (paramCount(shared, { nonEmbedding: true }) - proj));
  });

  it('has the 24 compact BERT shapes and a CPU ladder that grows', () => {
    expect(Object.keys(presets).filter((k) => k.startsWith('bert-'))).toHaveLength(24);
    const ladder = Object.keys(presets).filter((k) => k.startsWith('cpu-')).map((k) => paramCount(modelConfig(k, { vocabSize: 8000, projection: 128 }), { nonEmbedding: true }));
    for (let i = 1; i < ladder.length; i++) expect(ladder[i]!, `cpu-${i + 1} > cpu-${i}`).toBeGreaterThan(ladder[i - 1]! * 1.3);
  });
});

describe('modelConfig', () => {
  it('names the bad field', () => {
    expect(() => modelConfig('tiny', { vocabSize: 0 })).toThrow(/vocabSize/);
    expect(() => modelConfig('tiny', { vocabSize: 10, heads: 3 })).toThrow(ConfigError);
    expect(() => modelConfig('nope', { vocabSize: 10 })).toThrow(/unknown preset "nope"/);
    expect(() => modelConfig('tiny', { vocabSize: 10, hiddenAct: 'relu' as never })).toThrow(/hiddenAct/);
  });
});
