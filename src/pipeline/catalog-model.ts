/**
 * The adapter from the model store's view of a catalog entry (src/models) to the pipeline's
 * {@link PipelineModel}. Only the catalog's exported types are used, so the catalog can change
 * its internals freely.
 */
import type { CatalogEntry, SchedulerName as CatalogSchedulerName } from '../models/catalog.ts';
import type { ResolvedModelFiles } from '../models/model-store.ts';
import type { PipelineModel, PipelinePartName } from './model.ts';
import type { SchedulerName } from './schedulers/index.ts';

const SCHEDULER_NAMES: Readonly<Record<CatalogSchedulerName, SchedulerName>> = {
  euler: 'euler',
  'euler-ancestral': 'euler_a',
  ddim: 'ddim',
  lcm: 'lcm',
};

const PART_NAMES: readonly PipelinePartName[] = ['textEncoder', 'unet', 'vaeDecoder'];

/**
 * A ready model (`ModelStore.listReady()` gives `{ entry, files }`) as the pipeline's description.
 * One catalog entry is one precision, so the description has one variant.
 */
export function pipelineModelFromCatalog(entry: CatalogEntry, files: ResolvedModelFiles): PipelineModel {
  const parts = Object.fromEntries(
    PART_NAMES.map((name) => [name, { model: files.parts[name].model, externalData: files.parts[name].externalData }]),
  ) as Record<PipelinePartName, { model: string; externalData: { path: string; url: string }[] }>;
  const overrides: Record<string, unknown> = { prediction_type: entry.predictionType };
  // Without a config file the standard SD schedule applies, with the spacing the catalog names
  // (SD-Turbo needs 'trailing' so that its one step starts at t = 999).
  if (!files.schedulerConfig) overrides.timestep_spacing = entry.defaults.timestepSpacing;
  const isOracle = entry.repo.startsWith('local-sd/oracle-shapes');
  return {
    id: entry.id,
    displayName: entry.displayName,
    variants: [{ dtype: entry.dtype, requiredFeatures: [...entry.requiredFeatures], parts, largestTensorBytes: null }],
    tokenizer: { files: { ...files.tokenizer }, padTokenId: entry.tokenizer.padTokenId },
    scheduler: { configUrl: files.schedulerConfig, overrides },
    vaeScalingFactor: entry.vaeScalingFactor,
    latentPreview: isOracle ? 'rgb-channels' : 'sd-approximation',
    defaults: {
      steps: entry.defaults.steps,
      guidance: entry.defaults.guidance,
      width: entry.defaults.width,
      height: entry.defaults.height,
      scheduler: SCHEDULER_NAMES[entry.defaults.scheduler] ?? 'euler',
    },
  };
}
