import { runValidate } from './validate.ts';
import { DEFAULT_SAMPLE } from '../defaults.ts';
import type { DatasetFormat } from '../dataset-input.ts';

export interface TranslateOptions {
  input?: string;
  inputFormat?: DatasetFormat;
  output?: string;
  limit?: number;
}

/**
 * `nightshift night|day`. Translation is not built yet: for now this validates and summarises the
 * input, and says so plainly instead of pretending to translate.
 */
export async function runTranslate(direction: 'night' | 'day', opts: TranslateOptions): Promise<number> {
  const input = opts.input ?? DEFAULT_SAMPLE;
  console.log(`nightshift ${direction}: input ${input}${opts.input ? '' : ' (the embedded sample)'}`);
  const code = await runValidate({ input, format: opts.inputFormat });
  console.log('');
  console.log(`Translation to ${direction} is not there yet: no generator is wired in, so no images were translated and nothing was written.`);
  console.log('What ran: reading and validating the input dataset (summary above).');
  return code;
}
