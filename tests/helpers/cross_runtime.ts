// Runs one portable module in three WebGPU runtimes and returns what each produced, so tests can demand
// bit-identical results: dawn.node on lavapipe, dawn.node on SwiftShader (both in child Node processes,
// because the Vulkan ICD is chosen when the loader starts), and headless Chromium (SwiftShader) driven by
// playwright-core. The module is bundled with esbuild from the TS sources, exactly as a user would ship it.
//
// A module passed here exports `run(device: Device, input: unknown): Promise<Record<string, Uint8Array>>`.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'dist', 'cross');
const DEVICE_TS = join(ROOT, 'src', 'gpu', 'device.ts');
export const LAVAPIPE_ICD = '/usr/share/vulkan/icd.d/lvp_icd.json';
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface RuntimeOutput {
  adapter: string;
  outputs: Record<string, Uint8Array>;
}

interface Wire {
  adapter: string;
  outputs: Record<string, string>;
}

function fromWire(w: Wire): RuntimeOutput {
  return { adapter: w.adapter, outputs: Object.fromEntries(Object.entries(w.outputs).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])) };
}

const WRAPPER = (entry: string, target: 'node' | 'browser') => `
import { run } from ${JSON.stringify(entry)};
import { createDevice } from ${JSON.stringify(DEVICE_TS)};
function b64(u8) { let s = ''; for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000)); return btoa(s); }
async function go(input) {
  const device = await createDevice();
  try {
    const outputs = await run(device, input);
    const wire = {};
    for (const [k, v] of Object.entries(outputs)) wire[k] = b64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    return { adapter: device.info.vendor + '/' + device.info.architecture + ' ' + device.info.description, outputs: wire };
  } finally { device.destroy(); }
}
${
  target === 'node'
    ? `import { readFileSync } from 'node:fs';
const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
go(input).then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`
    : 'window.__go = go;'
}`;

async function bundle(entry: string, target: 'node' | 'browser', name: string): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const outfile = join(OUT, `${name}.${target}.mjs`);
  await build({
    stdin: { contents: WRAPPER(entry, target), resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: target === 'node' ? 'node' : 'browser',
    external: ['webgpu'],
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

function runNode(file: string, inputFile: string, icd: string): Promise<RuntimeOutput> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [file, inputFile], {
      cwd: ROOT,
      env: { ...process.env, VK_ICD_FILENAMES: icd },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (code !== 0) rej(new Error(`node (${icd}) exited ${code}: ${err.slice(-2000)}`));
      else res(fromWire(JSON.parse(out) as Wire));
    });
  });
}

async function runChromium(file: string, input: unknown): Promise<RuntimeOutput> {
  const { readFile } = await import('node:fs/promises');
  const js = await readFile(file);
  const server = createServer((req, res) => {
    if (req.url === '/bundle.mjs') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/bundle.mjs"></script>');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => (window as unknown as { __go?: unknown }).__go !== undefined, null, { timeout: 60_000 });
    const wire = (await page.evaluate((inp) => (window as unknown as { __go(i: unknown): Promise<unknown> }).__go(inp), input)) as Wire;
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return fromWire(wire);
  } finally {
    await browser.close();
    server.close();
  }
}

/** Runs `entry` (an absolute path to a .ts module) in all three runtimes with the same JSON input. */
export async function runInEveryRuntime(entry: string, input: unknown): Promise<Record<'lavapipe' | 'swiftshader' | 'chromium', RuntimeOutput>> {
  const name = entry.replace(/^.*\//, '').replace(/\.ts$/, '');
  const [nodeFile, browserFile] = await Promise.all([bundle(entry, 'node', name), bundle(entry, 'browser', name)]);
  const inputFile = join(OUT, `${name}.input.json`);
  writeFileSync(inputFile, JSON.stringify(input));
  const lavapipe = await runNode(nodeFile, inputFile, LAVAPIPE_ICD);
  const swiftshader = await runNode(nodeFile, inputFile, SWIFTSHADER_ICD);
  const chromiumOut = await runChromium(browserFile, input);
  return { lavapipe, swiftshader, chromium: chromiumOut };
}
