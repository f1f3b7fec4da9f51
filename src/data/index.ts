// The data pipeline's public names (re-exported by src/index.ts). Node-only helpers (nodeSource,
// loadWordNet) live in ./node.ts so that this set bundles for browsers.
export { loadRetrievalData, type LoadOptions } from './load.js';
export { RetrievalData, type Qrels, type PositivePairs } from './retrieval.js';
export { memorySource, type DataSource } from './source.js';
export { DataFormatError, type DataErrorKind, type ErrorPolicy, type LoadReport, type FileReport } from './report.js';
export {
  PairDataset,
  type PairDatasetOptions,
  type BatchIndexOptions,
  type BatchOptions,
  type BatchIndices,
  type PairBatch,
  type TextEncoderLike,
} from './pairs.js';
export { sampleEvalNegatives, negativePool, type EvalNegativeOptions } from './sampling.js';
export { wordnetRetrieval, type WordNetFiles, type WordNetOptions } from './wordnet.js';
