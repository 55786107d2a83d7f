// One COCO image's annotations drawn as Cityscapes label maps, the rules every COCO → Cityscapes
// path shares (the converter, and the checks on COCO input): categories are matched to Cityscapes
// labels by name; annotations are drawn largest area first (ties by id), so smaller objects stay
// visible where they overlap larger ones; an instance of a class with instances gets
// instanceValue(labelId, k), a crowd region the plain labelId (a Cityscapes group).
import { DatasetError } from '../errors.ts';
import { INSTANCES_PER_LABEL, instanceValue, labelByName, type Label } from '../label-table.ts';
import type { CocoAnnotation, CocoCategory, CocoImage } from '../coco/types.ts';
import { annotationMask } from '../coco/reader.ts';

export interface CocoLabelMaps {
  width: number;
  height: number;
  /** labelIds: the matched classes, 0 ("unlabeled") elsewhere. */
  semantic: Uint8Array;
  /** instanceIds, as Cityscapes numbers them. */
  instances: Uint16Array;
  /** The instanceIds value each drawn annotation got, by annotation id. */
  valueOf: Map<number, number>;
  /** Annotations whose category has no Cityscapes label of the same name, per category name. */
  unmapped: Record<string, number>;
}

/**
 * Draws one image's annotations. Throws a DatasetError at `where` (default: the image's file name)
 * for more than 1000 instances of one class, which instanceIds cannot number, and for a segmentation
 * of another size than the image.
 */
export function cocoLabelMaps(
  image: Pick<CocoImage, 'width' | 'height' | 'file_name'>,
  annotations: readonly CocoAnnotation[],
  categories: readonly CocoCategory[],
  where: { file: string; pointer?: string } = { file: image.file_name },
): CocoLabelMaps {
  const problem = (reason: string): DatasetError => new DatasetError(where.file, reason, where.pointer);
  const { width, height } = image;
  const labelOf = new Map<number, Label | undefined>(categories.map((c) => [c.id, labelByName(c.name)]));
  const categoryName = new Map(categories.map((c) => [c.id, c.name]));
  const semantic = new Uint8Array(width * height);
  const instances = new Uint16Array(width * height);
  const valueOf = new Map<number, number>();
  const unmapped: Record<string, number> = {};
  const nextIndex = new Map<number, number>();
  for (const ann of [...annotations].sort((a, b) => b.area - a.area || a.id - b.id)) {
    const label = labelOf.get(ann.category_id);
    if (!label || label.id < 0) {
      const name = categoryName.get(ann.category_id) ?? String(ann.category_id);
      unmapped[name] = (unmapped[name] ?? 0) + 1;
      continue;
    }
    let value = label.id;
    if (label.hasInstances && !ann.iscrowd) {
      const k = nextIndex.get(label.id) ?? 0;
      if (k >= INSTANCES_PER_LABEL) throw problem(`more than ${INSTANCES_PER_LABEL} ${label.name} instances in one image`);
      nextIndex.set(label.id, k + 1);
      value = instanceValue(label.id, k);
    }
    let mask: Uint8Array;
    try {
      mask = annotationMask(ann, height, width);
    } catch (error) {
      throw problem(`annotation ${ann.id}: ${(error as Error).message}`);
    }
    for (let i = 0; i < mask.length; i++) {
      if (mask[i]) {
        semantic[i] = label.id;
        instances[i] = value;
      }
    }
    valueOf.set(ann.id, value);
  }
  return { width, height, semantic, instances, valueOf, unmapped };
}
