// Typed errors. A library throws and never exits; every error carries enough context to act on.

/** Base class of every error densescale throws on purpose. */
export class DensescaleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No WebGPU adapter could be obtained. The message says what to install. */
export class GpuUnavailableError extends DensescaleError {}

/** A WGSL module failed to compile or a pipeline failed validation; names the shader and the position. */
export class ShaderError extends DensescaleError {
  constructor(
    message: string,
    readonly shader?: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/** The device was lost (driver reset, destroy(), out of memory at the driver level). */
export class DeviceLostError extends DensescaleError {}

/** A buffer or dispatch would exceed a device limit; raised before anything is allocated. */
export class LimitError extends DensescaleError {
  constructor(
    message: string,
    readonly limit?: string,
    readonly requested?: number,
    readonly allowed?: number,
  ) {
    super(message);
  }
}

/** Tensor shapes do not fit the op; the message names the op and every shape. */
export class ShapeError extends DensescaleError {}

/** Malformed input data; names the file, the 1-based line and the field where known. */
export class FormatError extends DensescaleError {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    readonly field?: string,
  ) {
    super(
      [file, line === undefined ? undefined : `line ${line}`, field === undefined ? undefined : `field "${field}"`]
        .filter((s) => s !== undefined)
        .join(', ')
        .concat(file !== undefined || line !== undefined || field !== undefined ? `: ${message}` : message),
    );
  }
}

/** The tokenizer could not load its vocabulary or encode its input. */
export class TokenizerError extends DensescaleError {}

/** An option or configuration value is invalid; names the field. */
export class ConfigError extends DensescaleError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(field === undefined ? message : `${field}: ${message}`);
  }
}

/** A long-running call was cancelled through its AbortSignal. */
export class AbortError extends DensescaleError {}
