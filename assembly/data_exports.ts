// The data pipeline's part of the wasm ABI (re-exported by index.ts): line/TSV/JSON scanning for the
// dataset readers and the seeded PCG32 orders for sampling.
export { scanTsv, scanJsonl, scanConsumed } from './data_scan';
export { pcgStream, pcgPermutation, pcgSeed, pcgSampleDistinct } from './shuffle';
