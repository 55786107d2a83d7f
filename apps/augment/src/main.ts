import { Command, CommanderError, Option } from 'commander';
import { env as tfjsEnv } from '@tensorflow/tfjs-core';
import { runValidate } from './commands/validate.ts';
import { runConvert } from './commands/convert.ts';
import { registerBuildCommands } from './commands/translate.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { registerEvaluateCommand } from './commands/evaluate.ts';
import { runSynth } from './commands/synth.ts';
import { runTrain } from './commands/train.ts';
import { runImportModel } from './commands/import-model.ts';
import { GENERATOR_ARCH_NAMES } from '@nightshift/cyclegan';
import { parseInteger, parseNumber } from './option-values.ts';
import { exitCodeOf } from './exit-codes.ts';

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

  const int = (flag: string, min: number) => (v: string) => parseInteger(v, flag, min);
  const num = (flag: string) => (v: string) => parseNumber(v, flag);
  program.command('train')
    .description('Train a CycleGAN (reference recipe) on two folders of unpaired images, A (e.g. day) and B (e.g. night), or pix2pix on aligned pairs.')
    .addOption(new Option('--mode <mode>', 'cyclegan: unpaired --a/--b; pix2pix: aligned --pairs').choices(['cyclegan', 'pix2pix']).default('cyclegan'))
    .option('--a <dir>', 'cyclegan: folder of domain A images (any format sharp reads)')
    .option('--b <dir>', 'cyclegan: folder of domain B images')
    .option('--pairs <dir>', 'pix2pix: A/ and B/ folders of same-named images, or side-by-side AB images')
    .requiredOption('--out <dir>', 'run folder: checkpoints, samples, loss log and curve')
    .option('--backend <name>', 'auto|tensorflow|webgpu|wasm|cpu', 'auto')
    .option('--generator <kind>', 'cyclegan: generator kind, resnet (the reference) or bilateral (structure-preserving, docs/bilateral-generator.md) (resnet)')
    .option('--ngf <n>', 'generator width (64)', int('--ngf', 1))
    .option('--n-blocks <n>', 'cyclegan: generator residual blocks (resnet: 9) or grid-level convs (bilateral)', int('--n-blocks', 0))
    .option('--num-downs <n>', 'pix2pix: U-Net downsamplings (8 = unet_256)', int('--num-downs', 1))
    .option('--lambda-l1 <x>', 'pix2pix: L1 weight (100)', num('--lambda-l1'))
    .option('--ndf <n>', 'discriminator width (64)', int('--ndf', 1))
    .option('--n-layers <n>', 'discriminator layers (3)', int('--n-layers', 1))
    .addOption(new Option('--preprocess <mode>', 'resize_and_crop (default), scale_width_and_crop for high-resolution data, ...')
      .choices(['resize_and_crop', 'scale_width_and_crop', 'scale_width', 'crop', 'none']))
    .option('--load-size <px>', 'resize to this size before cropping (286)', int('--load-size', 4))
    .option('--crop-size <px>', 'crop size (256)', int('--crop-size', 4))
    .option('--no-flip', 'no random horizontal flip')
    .option('--batch-size <n>', 'batch size (1)', int('--batch-size', 1))
    .option('--n-epochs <n>', 'epochs at the initial learning rate (100)', int('--n-epochs', 0))
    .option('--n-epochs-decay <n>', 'epochs of linear decay to zero (100)', int('--n-epochs-decay', 0))
    .option('--lr <x>', 'Adam learning rate (2e-4)', num('--lr'))
    .option('--beta1 <x>', 'Adam beta1 (0.5)', num('--beta1'))
    .option('--lambda-a <x>', 'cycle loss weight A→B→A (10)', num('--lambda-a'))
    .option('--lambda-b <x>', 'cycle loss weight B→A→B (10)', num('--lambda-b'))
    .option('--lambda-identity <x>', 'identity loss weight, relative to lambda (0.5)', num('--lambda-identity'))
    .option('--lambda-prior <x>', 'bilateral: weight of the anchor to the starting tone prior (0: off)', num('--lambda-prior'))
    .addOption(new Option('--gan-mode <mode>', 'GAN loss (cyclegan: lsgan, pix2pix: vanilla)').choices(['lsgan', 'vanilla']))
    .option('--pool-size <n>', 'image pool size (50)', int('--pool-size', 0))
    .option('--seed <n>', 'seed of the weights and every random choice (0)', int('--seed', 0))
    .option('--checkpoint-every <n>', 'checkpoint every n iterations (5000; 0: only at the end)', int('--checkpoint-every', 0))
    .option('--sample-every <n>', 'sample grid every n iterations (400)', int('--sample-every', 0))
    .option('--log-every <n>', 'loss log line and curve every n iterations (100)', int('--log-every', 0))
    .option('--max-iterations <n>', 'stop after n iterations in total', int('--max-iterations', 1))
    .option('--resume', 'continue the run in --out from its newest checkpoint')
    .action(async (opts) => setExit(await runTrain(opts)));

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

  program.command('import-model')
    .description('Turn a generator from PyTorch (.pth/.pt, read without running its pickle code), a safetensors state_dict or an ONNX file into a checkpoint folder for --model.')
    .argument('<file>', 'the generator weights, e.g. latest_net_G_A.pth')
    .requiredOption('--out <dir>', 'checkpoint folder to write (new or empty)')
    .addOption(new Option('--arch <name>', 'the reference --netG architecture, instead of the one the keys show').choices(GENERATOR_ARCH_NAMES))
    .action(async (file, opts) => setExit(await runImportModel(file, opts)));

  registerBuildCommands(program, setExit);
  registerWorkerCommand(program, setExit);
  registerEvaluateCommand(program, setExit);
  return program;
}

/** The line printed for an error the user can act on. */
function messageOf(err: unknown): string {
  const { code, path } = err as NodeJS.ErrnoException;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return `${code === 'ENOSPC' ? 'no space left on device' : 'disk quota exceeded'}${path ? ` while writing ${path}` : ''}: free space and rerun the same command to resume`;
  }
  return (err as Error).message;
}

/** Runs the CLI and returns the process exit code. Errors the user can act on are printed without a stack. */
export async function main(argv: string[]): Promise<number> {
  // TF.js production mode only mutes TF.js's own notices, chiefly the "install tfjs-node" banner on
  // first CPU use: --engine auto measures the engines here and says which it took and why.
  tfjsEnv().set('PROD', true);
  let exitCode = 0;
  const program = buildProgram((code) => { exitCode = code; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const code = exitCodeOf(err);
    if (code === undefined) throw err;
    console.error(`nightshift: ${messageOf(err)}`);
    return code;
  }
}
