import { Command, CommanderError, Option } from 'commander';
import { DatasetError } from '@nightshift/labels';
import { runValidate } from './commands/validate.ts';
import { runConvert } from './commands/convert.ts';
import { runTranslate } from './commands/translate.ts';
import { runSynth } from './commands/synth.ts';
import { UsageError } from './usage-error.ts';

const formatOption = (flags: string, description: string) =>
  new Option(flags, description).choices(['cityscapes', 'coco']);

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('nightshift')
    .description('Turn labelled day street-scene datasets into labelled night datasets (and back), with per-object label checks.')
    .exitOverride()
    .showHelpAfterError();

  program.command('validate')
    .description('Check a Cityscapes root or a COCO instances json; print a summary and every problem found (exit 1 on problems).')
    .requiredOption('--input <root-or-json>', 'Cityscapes root folder, or COCO instances json')
    .addOption(formatOption('--format <format>', 'dataset format (default: guessed from --input)'))
    .option('--images <dir>', 'COCO: folder the file_names are relative to (default: guessed)')
    .option('--split <split>', 'Cityscapes: only this split')
    .action(async (opts) => setExit(await runValidate(opts)));

  program.command('convert')
    .description('Write a dataset in the other format.')
    .requiredOption('--input <root-or-json>', 'Cityscapes root folder, or COCO instances json')
    .addOption(formatOption('--from <format>', 'input format').makeOptionMandatory())
    .addOption(formatOption('--to <format>', 'output format').makeOptionMandatory())
    .requiredOption('--output <dir>', 'output folder (must not exist or be empty, and must not be inside the input)')
    .option('--images <dir>', 'COCO input: folder the file_names are relative to (default: guessed)')
    .option('--split <split>', 'Cityscapes input: only this split')
    .action(async (opts) => setExit(await runConvert(opts)));

  program.command('synth')
    .description('Write procedural street scenes as a Cityscapes root: day images, their true night renders, exact labels, fault renders.')
    .requiredOption('--output <dir>', 'output folder (new or empty)')
    .option('--count <n>', 'number of scenes', (v) => parseInteger(v, '--count', 1), 100)
    .option('--seed <n>', 'seed of the first scene (scene i uses seed+i)', (v) => parseInteger(v, '--seed', 0), 0)
    .option('--width <px>', 'image width', (v) => parseInteger(v, '--width', 16), 512)
    .option('--height <px>', 'image height', (v) => parseInteger(v, '--height', 16), 256)
    .option('--split <name>', 'Cityscapes split folder', 'train')
    .option('--no-faults', 'skip the erased/added fault renders')
    .action(async (opts) => setExit(await runSynth(opts)));

  for (const direction of ['night', 'day'] as const) {
    program.command(direction)
      .description(`Translate a dataset to ${direction}, carry the labels over, and write the result.`)
      .option('--input <root-or-json>', 'input dataset (default: the embedded sample)')
      .addOption(formatOption('--input-format <format>', 'input format (default: guessed)'))
      .option('--output <dir>', `output folder (default: dist/${direction})`)
      .option('--limit <n>', 'process at most n samples', (v) => parseInteger(v, '--limit', 1))
      .action(async (opts) => setExit(await runTranslate(direction, opts)));
  }
  return program;
}

function parseInteger(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer of at least ${min}, got "${value}"`);
  return n;
}

/** Runs the CLI and returns the process exit code. Errors the user can act on are printed without a stack. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => { exitCode = code; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof DatasetError || err instanceof UsageError) {
      console.error(`nightshift: ${err.message}`);
      return err instanceof UsageError ? 2 : 1;
    }
    throw err;
  }
}
