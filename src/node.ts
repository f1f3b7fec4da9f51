// densescale/node: the file-system side of the API (Node only). Data folders and the embedded WordNet
// default, model folders (safetensors + config.json + vocab.txt), and atomic on-disk stores.
export { nodeSource, loadWordNet } from './data/node.js';
export { loadModelDir } from './train/checkpoint_node.js';
export { DirectoryCheckpointStore } from './io/checkpoint_store.js';
export { writeFileAtomic, appendJsonlAtomic } from './io/atomic.js';
