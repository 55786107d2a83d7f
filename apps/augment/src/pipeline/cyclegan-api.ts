// The parts of @nightshift/cyclegan the pipeline needs that its public index does not export yet
// (translators and backend selection). One place to change to `from '@nightshift/cyclegan'` once
// libs/cyclegan/src/index.ts exports translate/ and backends/.
export { TfjsTranslator, modelHash } from '../../../../libs/cyclegan/src/translate/index.ts';
export type { Translator, TranslatorInfo, RgbImage, TilingMode } from '../../../../libs/cyclegan/src/translate/index.ts';
export { selectBackend, BACKEND_REQUESTS } from '../../../../libs/cyclegan/src/backends/index.ts';
export type { BackendSelection } from '../../../../libs/cyclegan/src/backends/index.ts';
