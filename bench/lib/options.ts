// The options the generator benchmarks share: network size, timed iterations, and sizes as BxHxW lists.
import { parseArgs } from 'node:util';

export interface GeneratorBenchOptions {
  ngf: number;
  blocks: number;
  iters: number;
  /** [batch, height, width] per entry. */
  sizes: [number, number, number][];
}

/** Parses --ngf, --blocks, --iters and --sizes plus the benchmark's own string/boolean options. */
export function generatorBenchOptions<T extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(
  defaultSizes: string, extra: T,
): GeneratorBenchOptions & { values: Record<keyof T, string | boolean | undefined> } {
  const { values: parsed } = parseArgs({
    options: {
      ngf: { type: 'string', default: '64' },
      blocks: { type: 'string', default: '9' },
      iters: { type: 'string', default: '3' },
      sizes: { type: 'string', default: defaultSizes },
      ...extra,
    },
  });
  const values = parsed as Record<string, string | boolean | undefined>;
  const sizes = String(values.sizes).split(',').map((s) => s.split('x').map(Number) as [number, number, number]);
  return { ngf: Number(values.ngf), blocks: Number(values.blocks), iters: Number(values.iters), sizes, values: values as Record<keyof T, string | boolean | undefined> };
}
