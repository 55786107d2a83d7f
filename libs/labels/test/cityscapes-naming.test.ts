import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { cityscapesImagePath, cityscapesLabelPath, parseCityscapesPath, parseFrameId } from '../src/cityscapes/naming.ts';
import { DatasetError } from '../src/errors.ts';

test('parses image and gtFine paths', () => {
  assert.deepEqual(parseCityscapesPath('/data/cs/leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png'), {
    kind: 'leftImg8bit', split: 'train', city: 'aachen', id: 'aachen_000000_000019', seq: '000000', frame: '000019',
  });
  for (const kind of ['labelIds', 'instanceIds', 'color', 'labelTrainIds'] as const) {
    const parsed = parseCityscapesPath(`gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_${kind}.png`);
    assert.equal(parsed.kind, kind);
    assert.equal(parsed.id, 'frankfurt_000000_000294');
  }
  assert.equal(parseCityscapesPath('gtFine/val/bad-honnef/bad-honnef_000001_000002_gtFine_polygons.json').kind, 'polygons');
});

test('builds the paths it parses', () => {
  const ref = { split: 'val', city: 'frankfurt', id: 'frankfurt_000000_000294' };
  assert.equal(cityscapesImagePath('/r', ref), join('/r', 'leftImg8bit/val/frankfurt/frankfurt_000000_000294_leftImg8bit.png'));
  assert.equal(cityscapesLabelPath('/r', ref, 'instanceIds'), join('/r', 'gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_instanceIds.png'));
  assert.equal(cityscapesLabelPath('/r', ref, 'polygons'), join('/r', 'gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_polygons.json'));
  for (const kind of ['labelIds', 'instanceIds', 'color', 'labelTrainIds', 'polygons'] as const) {
    const parsed = parseCityscapesPath(cityscapesLabelPath('/r', ref, kind));
    assert.deepEqual([parsed.kind, parsed.split, parsed.city, parsed.id], [kind, 'val', 'frankfurt', ref.id]);
  }
});

test('bad names are DatasetErrors that name the file and say what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['leftImg8bit/train/aachen/aachen_0000_000019_leftImg8bit.png', /file name 'aachen_0000_000019_leftImg8bit.png' is not <city>_<seq:6 digits>/],
    ['leftImg8bit/train/aachen/aachen_000000_000019_rightImg8bit.png', /is not <city>_<seq/],
    ['gtFine/train/aachen/aachen_000000_000019_gtFine_labelids.png', /is not <city>_<seq/],
    ['gtFine/train/bonn/aachen_000000_000019_gtFine_labelIds.png', /file name city 'aachen' does not match its folder 'bonn'/],
    ['gtFine/train/aachen/aachen_000000_000019_leftImg8bit.png', /must be under leftImg8bit\/<split>\/<city>\/, not gtFine\//],
    ['aachen/aachen_000000_000019_leftImg8bit.png', /not a Cityscapes path/],
  ];
  for (const [path, reason] of cases) {
    assert.throws(() => parseCityscapesPath(path), (err: unknown) => {
      assert.ok(err instanceof DatasetError, path);
      assert.equal(err.file, path);
      assert.match(err.message, reason);
      return true;
    });
  }
  assert.throws(() => parseFrameId('aachen_19'), /frame id 'aachen_19' is not <city>_<seq:6 digits>_<frame:6 digits>/);
  assert.throws(() => cityscapesImagePath('/r', { split: 'train', city: 'bonn', id: 'aachen_000000_000019' }), /does not match city 'bonn'/);
  assert.throws(() => cityscapesImagePath('/r', { split: '..', city: 'aachen', id: 'aachen_000000_000019' }), /invalid split '\.\.'/);
});
