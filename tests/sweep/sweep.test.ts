// The sweep machinery on a micro grid (seconds): rows for every planned run, finished runs skipped on a
// rerun, an interrupted run resumed from its checkpoint to the same bits as an uninterrupted one, early
// stopping keeping the best validation step, and size errors named by grid field before any training.
import { describe, expect, it } from 'vitest';
import { PairDataset } from '../../src/data/pairs.js';
import { AbortError, ConfigError } from '../../src/errors.js';
import { EVAL_SET_SPLIT, evaluationSet, samplePairs, validationPairs } from '../../src/sweep/evalset.js';
import type { RunCheckpointStore, RunState, SweepRow } from '../../src/sweep/run.js';
import { planSweep, sweep } from '../../src/sweep/sweep.js';
import type { SweepProgress } from '../../src/sweep/progress.js';
import { testDevice } from '../helpers/device.js';
import { microConfig, microTask } from './fixture.js';

const { data: microData, tokenizer: microTokenizer } = await microTask();
const task = { data: microData, tokenizer: microTokenizer };

function memoryStores(): { stores: Map<string, RunState>; factory: (id: string) => RunCheckpointStore; saves: string[] } {
  const stores = new Map<string, RunState>();
  const saves: string[] = [];
  const copy = (s: RunState): RunState => structuredClone(s);
  return {
    stores,
    saves,
    factory: (id) => ({
      load: async () => (stores.has(id) ? copy(stores.get(id)!) : null),
      save: async (s) => {
        saves.push(`${id}@${s.step}`);
        stores.set(id, copy(s));
      },
      clear: async () => {
        stores.delete(id);
      },
    }),
  };
}

describe('sweep on a micro grid', () => {
  it('runs every planned run once, with a row per run, and skips them on a rerun', async () => {
    const device = await testDevice();
    const config = microConfig();
    const planned = await planSweep({ ...task, config });
    expect(planned).toHaveLength(5);
    const stored: SweepRow[] = [];
    const progress: SweepProgress[] = [];
    const rows = await sweep({ device, ...task, config, onResult: (r) => void stored.push(r), onProgress: (p) => progress.push(p) });
    expect(rows.map((r) => r.id)).toEqual(planned.map((p) => p.id));
    expect(stored).toEqual(rows);
    for (const [i, row] of rows.entries()) {
      expect(row.params).toBe(planned[i]!.params);
      expect(row.pairs).toBe(planned[i]!.spec.pairs);
      expect(Number.isFinite(row.loss) && row.loss > 0).toBe(true);
      expect(row.lossBits).toBeCloseTo(row.loss / Math.LN2, 10);
      expect(row.steps).toBe(6);
      expect(row.validation.map((v) => v.step)).toEqual([3, 6]);
      const best = row.validation.reduce((a, b) => (b.loss < a.loss ? b : a));
      expect(row.bestStep).toBe(best.step);
      expect(row.evalPairs).toBe(20);
      expect(row.adapter).toBe(`${device.info.vendor}/${device.info.architecture}${device.info.device ? ` ${device.info.device}` : ''}`);
    }
    expect(rows.find((r) => r.method === 'ict')!.loss).not.toBe(rows.find((r) => r.method === 'human' && r.pairs === 20)!.loss);
    const last = progress.at(-1)!;
    expect([last.total, last.done, last.skipped, last.current]).toEqual([5, 5, 0, undefined]);
    expect(progress.some((p) => p.current?.step === 3 && p.current.validation !== undefined)).toBe(true);
    expect(progress.filter((p) => p.current !== undefined).every((p) => p.etaMs === undefined || p.etaMs >= 0)).toBe(true);

    const again: SweepRow[] = [];
    const ids = new Set(rows.map((r) => r.id));
    expect(await sweep({ device, ...task, config, skip: (id) => ids.has(id), onResult: (r) => void again.push(r) })).toEqual([]);
    expect(again).toEqual([]);
  });

  it('resumes an interrupted run from its checkpoint to the same bits as an uninterrupted run', async () => {
    const device = await testDevice();
    const config = microConfig({ grid: { preset: ['cpu-1'], pairs: [40] } });
    const straight = await sweep({ device, ...task, config });
    const { stores, factory, saves } = memoryStores();
    const abort = new AbortController();
    await expect(
      sweep({ device, ...task, config, checkpoints: factory, checkpointEvery: 2, signal: abort.signal, onProgress: (p) => p.current?.step === 4 && abort.abort() }),
    ).rejects.toBeInstanceOf(AbortError);
    const id = straight[0]!.id;
    expect(stores.get(id)?.step).toBe(4);
    expect(saves).toContain(`${id}@2`);
    const resumed = await sweep({ device, ...task, config, checkpoints: factory });
    expect(stores.has(id)).toBe(false);
    const strip = (r: SweepRow) => ({ ...r, wallMs: 0, trainMs: 0, evalMs: 0, validationMs: 0, finishedAt: '' });
    expect(strip(resumed[0]!)).toEqual(strip(straight[0]!));
  });

  it('rejects a D larger than a method provides before training, naming the grid field', async () => {
    const device = await testDevice();
    const config = microConfig({ grid: [{ preset: ['cpu-1'], pairs: [20] }, { preset: ['cpu-1'], pairs: [20, 81] }] });
    await expect(sweep({ device, ...task, config })).rejects.toThrow(/grid\[1\]\.pairs\[1\]: D = 81 exceeds the 80 training pairs of method "human" \(90 human pairs minus 10 held out/);
    const small = microConfig({ grid: { preset: ['cpu-1'], pairs: [3] } });
    await expect(sweep({ device, ...task, config: small })).rejects.toThrow(ConfigError);
  });
});

describe('evaluation sets', () => {
  it('keep the pairs and a seeded pool that excludes every excluded positive', () => {
    const { data } = task;
    const pairs = samplePairs(data, 'test', 8, 1);
    expect(pairs.query).toHaveLength(8);
    const set = evaluationSet(data, { pairs, excludeSplits: ['test'], pool: 30, seed: 1 });
    expect(set.passageCount).toBe(38);
    expect(set.positives(EVAL_SET_SPLIT).query).toHaveLength(8);
    const testPositives = new Set(Array.from(data.positives('test').passage, (p) => data.passageId(p)));
    const evalPositives = new Set(Array.from(set.positives(EVAL_SET_SPLIT).passage, (p) => set.passageId(p)));
    for (let i = 0; i < set.passageCount; i++) {
      const id = set.passageId(i);
      if (!evalPositives.has(id)) expect(testPositives.has(id)).toBe(false);
      expect(set.passageText(i)).toBe(data.passageText(data.passageIndex(id)));
    }
    const again = evaluationSet(data, { pairs, excludeSplits: ['test'], pool: 30, seed: 1 });
    const ids = (d: typeof set) => Array.from({ length: d.passageCount }, (_, i) => d.passageId(i));
    expect(ids(again)).toEqual(ids(set));
    expect(ids(evaluationSet(data, { pairs, excludeSplits: ['test'], pool: 30, seed: 2 }))).not.toEqual(ids(set));
  });

  it('validation pairs are the tail of the subset shuffle, disjoint from any training prefix that fits', () => {
    const { data } = task;
    const { pairs, maxTrainPairs } = validationPairs(data, 'train', 10, 521);
    expect(maxTrainPairs).toBe(80);
    const held = new Set(Array.from(pairs.query, (q, i) => `${q}/${pairs.passage[i]}`));
    expect(held.size).toBe(10);
    const train = PairDataset.fromRetrievalData(data, { split: 'train', pairs: maxTrainPairs, seed: 521 });
    for (let i = 0; i < train.size; i++) {
      const { queryIndex, passageIndex } = train.pairIndices(i);
      expect(held.has(`${queryIndex}/${passageIndex}`)).toBe(false);
    }
    expect(() => validationPairs(data, 'train', 90, 521)).toThrow(/train\.validation\.pairs/);
  });
});
