// The built-in annotation methods by name. A `file` method needs its file's text, so it is made with
// fileMethod() and passed to the sweep alongside these.
import type { AnnotationMethod } from './annotation.js';
import { crop } from './crop.js';
import { human } from './human.js';
import { ict } from './ict.js';

/**
 * Built-in methods: human, ict, crop.
 *
 * @example
 * const a = await ANNOTATION_METHODS.ict!.annotate({ data, split: 'train', heldOutSplits: ['test'], seed: 0 });
 */
export const ANNOTATION_METHODS: Readonly<Record<string, AnnotationMethod>> = { human, ict, crop };
