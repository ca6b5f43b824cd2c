import { describe, expect, test } from 'vitest';
import { decode, loadOpCases, maxExcessError, OP_RUNNERS } from './fixtures';

// Values are compared tighter than gradients, which go through more float32 rounding.
const VALUE_TOLERANCE = { absolute: 1e-5, relative: 1e-5 };
const GRADIENT_TOLERANCE = { absolute: 1e-5, relative: 1e-4 };

describe('ops against PyTorch', () => {
  const cases = loadOpCases();

  test('fixture covers every op', () => {
    const covered = new Set(cases.map((entry) => entry.op));
    expect([...Object.keys(OP_RUNNERS)].filter((op) => !covered.has(op))).toEqual([]);
  });

  for (const entry of cases) {
    describe(entry.name, () => {
      const run = () => {
        const inputs = entry.inputs.map((input) => decode(input, true));
        const output = OP_RUNNERS[entry.op](inputs, entry.attributes);
        output.backward(Float32Array.from(entry.upstream.data));
        return { inputs, output };
      };

      test(`${entry.name} output shape matches PyTorch`, () => {
        expect([...run().output.shape]).toEqual(entry.output.shape);
      });

      test(`${entry.name} output values match PyTorch`, () => {
        const { output } = run();
        expect(output.numel).toBe(entry.output.data.length);
        expect(maxExcessError(output.data, entry.output.data, VALUE_TOLERANCE.relative)).toBeLessThanOrEqual(VALUE_TOLERANCE.absolute);
      });

      entry.gradients.forEach((gradient, index) => {
        test(`${entry.name} gradient of input ${index} matches PyTorch`, () => {
          const grad = run().inputs[index].grad;
          expect(grad).not.toBeNull();
          expect(maxExcessError(grad!, gradient.data, GRADIENT_TOLERANCE.relative)).toBeLessThanOrEqual(GRADIENT_TOLERANCE.absolute);
        });
      });
    });
  }
});
