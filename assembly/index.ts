// The wasm ABI: (ptr, len) in, counts out. Exports live here only; each area adds its own file.
export { alloc, reset } from './memory';
export { utf8Validate } from './utf8';
export * from './data_exports';
export * from './tokenizer_exports';
