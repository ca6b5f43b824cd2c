import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build, type Rollup } from 'vite';
import { describe, expect, test } from 'vitest';
import { datasetShapes } from '../../src/engine/data/catalog';
import { compileGraph } from '../../src/engine/graph/compile';
import { exportOnnx } from '../../src/engine/io/onnx/index';
import { Rng } from '../../src/engine/tensor/random';
import type { ProjectFile } from '../../src/shared/project';

const entry = fileURLToPath(new URL('../../src/engine/io/onnx/index.ts', import.meta.url));

/** Bundles the exporter for the browser, as the renderer build does, and returns the script text. */
async function bundleForBrowser(): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: false,
      lib: { entry, formats: ['iife'], name: 'TensorloomOnnx' },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
  const chunk = outputs[0].output.find((item): item is Rollup.OutputChunk => item.type === 'chunk');
  if (chunk === undefined) throw new Error('The browser bundle of the ONNX exporter has no script chunk.');
  return chunk.code;
}

describe('ONNX exporter in a browser context', () => {
  test('bundle runs without Node globals', { timeout: 120_000 }, async () => {
    const script = await bundleForBrowser();

    // A page has these web APIs but no require, process, Buffer or module.
    const page: Record<string, unknown> = { TextEncoder, TextDecoder, console };
    page.self = page;
    page.window = page;
    const context = vm.createContext(page);
    vm.runInContext(script, context);
    const bundled = page.TensorloomOnnx as { exportOnnx: typeof exportOnnx };

    const project = JSON.parse(readFileSync(new URL('../../resources/examples/xor-mlp.json', import.meta.url), 'utf8')) as ProjectFile;
    const model = compileGraph(project.graph, datasetShapes(project.dataset.id), new Rng(3));
    const fromBrowser = bundled.exportOnnx(project, model.parameters, { producerVersion: '0.1.0' });
    const fromNode = exportOnnx(project, model.parameters, { producerVersion: '0.1.0' });

    expect(fromBrowser.length).toBe(fromNode.length);
    expect(Buffer.from(fromBrowser).equals(Buffer.from(fromNode))).toBe(true);
  });
});
