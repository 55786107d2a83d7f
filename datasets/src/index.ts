// @nightshift/datasets: the embedded default data. The procedural street-scene generator gives paired
// day and night renders with exact Cityscapes labels, and fault variants with known answers.
export { generateScene, resolveSize, minObjectArea, DEFAULT_WIDTH, DEFAULT_HEIGHT, MAX_WIDTH, MAX_HEIGHT } from './synthetic/scene.ts';
export type { SceneSize } from './synthetic/scene.ts';
export { sceneLabels } from './synthetic/labels.ts';
export type { SceneLabels } from './synthetic/labels.ts';
export { renderScene, renderSceneSync, encodePng } from './synthetic/render.ts';
export type { RenderMode, RgbImage } from './synthetic/render.ts';
export { renderFaults, eraseFault, addFault, faultMinArea } from './synthetic/faults.ts';
export type { FaultTruth, FaultScene, FaultRender } from './synthetic/faults.ts';
export { synthesise, sampleId, SYNTHETIC_CITY } from './synthetic/synthesise.ts';
export type { SynthesiseOptions, SyntheticSample, SyntheticFault } from './synthetic/synthesise.ts';
export type { Scene, SceneObject, Item, Part, Shape, Material, Light, Camera, StreetPlan, Rgb, Box } from './synthetic/types.ts';
export { writeSyntheticCityscapes, nightImagePath, faultPaths, NIGHT_IMAGE_FOLDER, FAULTS_FOLDER } from './cityscapes-root.ts';
export type { SyntheticRootOptions } from './cityscapes-root.ts';
