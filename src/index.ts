// densescale: the public API. Everything a user imports comes from here; nothing inside src/ imports it.
export { createDevice, Device, type DeviceInfo, type DeviceOptions } from './gpu/device.js';
export {
  DensescaleError,
  GpuUnavailableError,
  ShaderError,
  DeviceLostError,
  LimitError,
  ShapeError,
  FormatError,
  TokenizerError,
  ConfigError,
  AbortError,
} from './errors.js';
export { Tokenizer, type VocabOptions, type EncodeOptions, type EncodeBatchOptions, type EncodedBatch, type SpecialIds, type TokenizerSettings } from './tokenizer/tokenizer.js';
export { trainWordPieceVocab, type TrainVocabOptions } from './tokenizer/train_vocab.js';
