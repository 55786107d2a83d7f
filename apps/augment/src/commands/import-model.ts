import { importGenerator, type GeneratorArchName } from '@nightshift/cyclegan';

export interface ImportModelOptions {
  out: string;
  arch?: GeneratorArchName;
}

/**
 * `nightshift import-model <file> --out <dir>`: a generator from a PyTorch checkpoint, a safetensors
 * state_dict or an ONNX file becomes a checkpoint folder that --model takes.
 */
export async function runImportModel(file: string, opts: ImportModelOptions): Promise<number> {
  const { config, description } = await importGenerator(file, opts.out, { arch: opts.arch });
  const { source } = config;
  const notes = [
    source.wrapper !== undefined ? `state_dict under "${source.wrapper}"` : '',
    source.modulePrefix ? '"module." prefix stripped' : '',
    source.dropped.length > 0 ? `${source.dropped.length} pre-0.4 InstanceNorm statistics dropped` : '',
  ].filter(Boolean);
  console.log(`Imported ${description}`);
  console.log(`  from ${file} (${source.format}, sha256 ${source.sha256})${notes.length > 0 ? `: ${notes.join(', ')}` : ''}`);
  console.log(`  to   ${opts.out}: ${config.networks.G.file} (${config.networks.G.parameters} parameters, PyTorch keys, float32) and config.json`);
  console.log(`Use it with --model ${opts.out}`);
  return 0;
}

