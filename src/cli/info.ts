import { createDevice } from '../gpu/device.js';
import { VERSION } from '../gen/version.js';
import { parse } from './args.js';

export const summary = 'print the WebGPU adapter, its features and limits';

export async function main(argv: string[]): Promise<void> {
  const { values } = parse(argv, { json: { type: 'boolean' }, adapter: { type: 'string' } });
  const adapter = values.adapter as string | undefined;
  const device = await createDevice(adapter ? { adapter } : {});
  try {
    const info = { ...device.info, versions: { densescale: VERSION, ...device.info.versions } };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(info)}\n`);
      return;
    }
    const lines = [
      `densescale ${VERSION} (${info.runtime}: ${Object.entries(device.info.versions).map(([k, v]) => `${k} ${v}`).join(', ')})`,
      `adapter:      ${info.vendor} / ${info.architecture}${info.isFallbackAdapter ? ' (fallback, CPU)' : ''}`,
      `device:       ${info.device}`,
      `description:  ${info.description}`,
      `features:     ${info.features.join(', ')}`,
      ...['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension'].map(
        (k) => `${`${k}:`.padEnd(36)}${info.limits[k]}`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    device.destroy();
  }
}
