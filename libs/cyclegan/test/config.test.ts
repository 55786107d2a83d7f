import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_ARCHITECTURE,
  discriminatorArchitectureOf,
  generatorArchitectureOf,
  resolveArchitecture,
  resolveGeneratorArchitecture,
} from '../src/index.ts';

test('defaults are the reference CycleGAN options', () => {
  assert.deepEqual({ ...resolveArchitecture() }, { ngf: 64, nBlocks: 9, ndf: 64, nLayers: 3, inputNc: 3, outputNc: 3 });
  assert.deepEqual({ ...resolveArchitecture({ nBlocks: 6 }) }, { ...DEFAULT_ARCHITECTURE, nBlocks: 6 });
  assert.ok(Object.isFrozen(resolveArchitecture()));
});

test('bad options are rejected with a message naming the option', () => {
  assert.throws(() => resolveArchitecture({ ngf: 0 }), /integer between 1 and 1024 for architecture option ngf but received 0/);
  assert.throws(() => resolveArchitecture({ nBlocks: 2.5 }), /nBlocks but received 2.5/);
  assert.throws(() => resolveArchitecture({ ndf: '64' as unknown as number }), /ndf but received "64" of type string/);
  assert.throws(() => resolveArchitecture({ nblocks: 9 } as never), /Unknown architecture option "nblocks"; valid options are: ngf, nBlocks/);
  assert.throws(() => resolveGeneratorArchitecture({ ndf: 3 } as never), /Unknown generator option "ndf"/);
});

test('G_B and the discriminators swap channels as the reference model does', () => {
  const arch = resolveArchitecture({ inputNc: 1, outputNc: 3 });
  assert.deepEqual({ ...generatorArchitectureOf(arch, 'G_A') }, { inputNc: 1, outputNc: 3, ngf: 64, nBlocks: 9 });
  assert.deepEqual({ ...generatorArchitectureOf(arch, 'G_B') }, { inputNc: 3, outputNc: 1, ngf: 64, nBlocks: 9 });
  assert.equal(discriminatorArchitectureOf(arch, 'D_A').inputNc, 3);
  assert.equal(discriminatorArchitectureOf(arch, 'D_B').inputNc, 1);
});
