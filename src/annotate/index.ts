// The annotation layer's public names (re-exported by src/index.ts).
export { annotationFromPairs, sourcePassages, DERIVED_SPLIT, type AnnotationMethod, type Annotation, type AnnotateContext, type GeneratedPair } from './annotation.js';
export { ANNOTATION_METHODS } from './methods.js';
export { human } from './human.js';
export { ict, ictPair } from './ict.js';
export { crop, cropMethod, cropPair, type CropOptions } from './crop.js';
export { fileMethod, parsePairsJsonl } from './file.js';
export { sentenceSpans, wordSpans } from './text.js';
