import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PatchDiscriminator,
  ResnetGenerator,
  discriminatorParamCount,
  generatorParamCount,
  patchDiscriminatorSpecs,
  resnetGeneratorSpecs,
} from '../src/index.ts';
import { torchFacts } from './helpers.ts';

test('reference parameter counts: G 11,378,179, resnet_6blocks 7,837,699, D 2,764,737', () => {
  assert.equal(generatorParamCount(), 11_378_179);
  assert.equal(generatorParamCount({ nBlocks: 6 }), 7_837_699);
  assert.equal(discriminatorParamCount(), 2_764_737);
});

test('parameter counts of other configurations equal the counts PyTorch computed', async () => {
  const facts = await torchFacts();
  assert.ok(facts.generatorCounts.length >= 5 && facts.discriminatorCounts.length >= 5);
  for (const { params, ...arch } of facts.generatorCounts) assert.equal(generatorParamCount(arch), params, JSON.stringify(arch));
  for (const { params, ...arch } of facts.discriminatorCounts) assert.equal(discriminatorParamCount(arch), params, JSON.stringify(arch));
});

test('state_dict keys, order and shapes equal those of the PyTorch modules', async () => {
  const { generator: g, discriminator: d } = await torchFacts();
  const gSpecs = resnetGeneratorSpecs({ inputNc: g.input_nc, outputNc: g.output_nc, ngf: g.ngf, nBlocks: g.n_blocks });
  assert.deepEqual(gSpecs.map((s) => [s.name, [...s.torchShape]]), g.keys);
  const dSpecs = patchDiscriminatorSpecs({ inputNc: d.input_nc, ndf: d.ndf, nLayers: d.n_layers });
  assert.deepEqual(dSpecs.map((s) => [s.name, [...s.torchShape]]), d.keys);
});

test('the full default networks allocate exactly their counted parameters, named by state_dict key', () => {
  const g = new ResnetGenerator();
  const d = new PatchDiscriminator();
  try {
    const size = (vars: { size: number }[]) => vars.reduce((n, v) => n + v.size, 0);
    assert.equal(size(g.variables()), 11_378_179);
    assert.equal(g.paramCount(), 11_378_179);
    assert.equal(g.variables().length, 48);
    assert.equal(size(d.variables()), 2_764_737);
    assert.equal(d.paramCount(), 2_764_737);
    assert.equal(d.variables().length, 10);
    assert.deepEqual(d.namedVariables().map(([k]) => k), [
      'model.0.weight', 'model.0.bias', 'model.2.weight', 'model.2.bias', 'model.5.weight', 'model.5.bias',
      'model.8.weight', 'model.8.bias', 'model.11.weight', 'model.11.bias',
    ]);
    const names = g.namedVariables().map(([k]) => k);
    assert.equal(names[0], 'model.1.weight');
    assert.ok(names.includes('model.18.conv_block.5.bias'));
    assert.deepEqual(names.slice(-6), ['model.19.weight', 'model.19.bias', 'model.22.weight', 'model.22.bias', 'model.26.weight', 'model.26.bias']);
    assert.deepEqual(g.variable('model.19.weight').shape, [3, 3, 128, 256]); // torch (256,128,3,3) as [kh,kw,out,in]
    assert.deepEqual(g.variable('model.1.weight').shape, [7, 7, 3, 64]);
    assert.equal(g.variables()[0].name, `${g.scope}/model.1.weight`);
  } finally {
    g.dispose();
    d.dispose();
  }
});
