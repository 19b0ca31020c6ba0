import type { CatalogEntry } from './catalog.ts';
import type { DetectedLayout } from './layout.ts';

/** The CLIP tokenizer used when a repo ships none (as the ONNX Runtime SD-Turbo example does). */
export const FALLBACK_TOKENIZER_REPO = 'Xenova/clip-vit-base-patch16';

/** A stable catalog id for a repo added by the user. */
export function entryIdForRepo(repo: string): string {
  return `hub-${repo.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

/**
 * A catalog entry for a repo added by id, pinned to the commit it was inspected at. Defaults are
 * those of SD 1.x/2.x base models; the pipeline reads dtypes from the sessions themselves.
 */
export function entryFromLayout(repo: string, commit: string, licence: string | null, layout: DetectedLayout): CatalogEntry {
  const ownTokenizer = layout.tokenizerFiles.length > 0;
  const name = repo.slice(repo.indexOf('/') + 1);
  return {
    id: entryIdForRepo(repo),
    displayName: name,
    source: 'hub',
    repo,
    revision: commit,
    pinned: true,
    baseUrl: null,
    licence: licence ?? 'unknown (see the model page)',
    sizeBytes: layout.totalBytes,
    dtype: layout.dtype,
    requiredFeatures: layout.dtype === 'fp16' ? ['shader-f16'] : [],
    parts: layout.parts,
    tokenizer: ownTokenizer
      ? { repo: null, revision: commit, files: layout.tokenizerFiles, padTokenId: 49407 }
      : {
          repo: FALLBACK_TOKENIZER_REPO,
          revision: 'main',
          files: ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'],
          padTokenId: 49407,
        },
    schedulerConfig: layout.schedulerConfig,
    predictionType: 'epsilon',
    vaeScalingFactor: 0.18215,
    io: {},
    defaults: { steps: 20, guidance: 7.5, width: 512, height: 512, scheduler: 'euler', timestepSpacing: 'leading' },
    sizes: [{ width: 512, height: 512 }],
    note: [
      `Added from ${repo} at commit ${commit.slice(0, 7)}.`,
      ownTokenizer ? '' : `No tokenizer in the repo: using ${FALLBACK_TOKENIZER_REPO}.`,
      ...layout.warnings.filter((warning) => !warning.startsWith('No tokenizer')),
      'Defaults assume an SD 1.x/2.x base model; prediction type and sizes may need adjusting.',
    ]
      .filter(Boolean)
      .join(' '),
  };
}
