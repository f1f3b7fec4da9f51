// Launchers for shaders/gelu_forward.wgsl and shaders/gelu_backward.wgsl.
import { ConfigError } from '../errors.js';
import { grid1d } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes } from '../util/assert.js';

/**
 * GELU form by the name a BERT config's `hidden_act` uses: "gelu" is the exact erf form (BERT),
 * "gelu_new" the tanh approximation (GPT-2 and some BERT variants).
 */
export type GeluForm = 'gelu' | 'gelu_new';

const FORM_CODE: Readonly<Record<GeluForm, number>> = { gelu: 0, gelu_new: 1 };

function formCode(op: string, form: GeluForm): number {
  const code = FORM_CODE[form];
  if (code === undefined) throw new ConfigError(`${op}: unknown GELU form "${String(form)}" (have: ${Object.keys(FORM_CODE).join(', ')})`, 'form');
  return code;
}

/**
 * out = gelu(inp) elementwise; bit-identical on every WebGPU device (no builtin transcendentals).
 *
 * @example
 * geluForward(rec, h, preActivation, { form: config.hiddenAct });   // 'gelu' for BERT
 */
export function geluForward(rec: Recorder, out: Tensor, inp: Tensor, options: { form: GeluForm }): void {
  checkShapes(out.numel === inp.numel, 'geluForward', { out: out.shape, inp: inp.shape });
  const device = rec.device;
  const n = inp.numel;
  const vec4 = n % 4 === 0;
  const kernel = device.kernel(vec4 ? 'gelu_forward_vec4' : 'gelu_forward');
  const grid = grid1d(vec4 ? n / 4 : n, kernel.workgroupSize[0], device.gpu.limits.maxComputeWorkgroupsPerDimension);
  const params = { n, form: formCode('geluForward', options.form) };
  if (vec4) rec.dispatch(kernel, params, { out4: out, inp4: inp }, grid);
  else rec.dispatch(kernel, params, { out, inp }, grid);
}

/**
 * dinp = dout·gelu'(inp) (added into dinp when `accumulate`), the derivative of the same form.
 *
 * @example
 * geluBackward(rec, dPreActivation, preActivation, dh, { form: 'gelu', accumulate: false });
 */
export function geluBackward(rec: Recorder, dinp: Tensor, inp: Tensor, dout: Tensor, options: { form: GeluForm; accumulate: boolean }): void {
  checkShapes(dinp.numel === inp.numel && dout.numel === inp.numel, 'geluBackward', { dinp: dinp.shape, inp: inp.shape, dout: dout.shape });
  const device = rec.device;
  const n = inp.numel;
  const vec4 = n % 4 === 0;
  const kernel = device.kernel(vec4 ? 'gelu_backward_vec4' : 'gelu_backward');
  const grid = grid1d(vec4 ? n / 4 : n, kernel.workgroupSize[0], device.gpu.limits.maxComputeWorkgroupsPerDimension);
  const params = { n, form: formCode('geluBackward', options.form), accumulate: options.accumulate ? 1 : 0 };
  if (vec4) rec.dispatch(kernel, params, { dinp4: dinp, inp4: inp, dout4: dout }, grid);
  else rec.dispatch(kernel, params, { dinp, inp, dout }, grid);
}
