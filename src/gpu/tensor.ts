// A typed view of a range of a GPUBuffer. Tensors never own layout decisions: model/layout.ts places
// parameters in flat buffers at 256-byte-aligned offsets, so any tensor can be bound on its own.
import { checkShapes, numel, type Shape } from '../util/assert.js';

export type DType = 'f32' | 'i32' | 'u32';

export class Tensor {
  readonly numel: number;

  constructor(
    readonly buffer: GPUBuffer,
    /** Byte offset into `buffer`; a multiple of the device's minStorageBufferOffsetAlignment. */
    readonly offset: number,
    readonly shape: Shape,
    readonly label: string,
    readonly dtype: DType = 'f32',
  ) {
    this.numel = numel(shape);
  }

  get byteSize(): number {
    return this.numel * 4;
  }

  /** The binding of this tensor's range (never empty: WebGPU rejects zero-sized bindings). */
  binding(): GPUBufferBinding {
    return { buffer: this.buffer, offset: this.offset, size: Math.max(4, this.byteSize) };
  }

  /** Same memory, another shape with the same number of elements. */
  reshape(shape: Shape, label = this.label): Tensor {
    checkShapes(numel(shape) === this.numel, `reshape ${this.label}`, { from: this.shape, to: shape });
    return new Tensor(this.buffer, this.offset, shape, label, this.dtype);
  }

  /** A sub-range starting `elementOffset` elements in; the byte offset must stay binding-aligned. */
  slice(elementOffset: number, shape: Shape, label = this.label): Tensor {
    checkShapes(elementOffset + numel(shape) <= this.numel, `slice ${this.label}`, { of: this.shape, at: elementOffset, shape });
    return new Tensor(this.buffer, this.offset + elementOffset * 4, shape, label, this.dtype);
  }
}
