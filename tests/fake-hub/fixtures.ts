import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * What the fake hub serves: users with tokens, and model repos whose files come from a folder on disk
 * and/or from in-memory buffers. Plain data, so a test can describe exactly the hub it needs.
 */

export type TokenRole = 'read' | 'write' | 'fineGrained';

export interface FineGrainedScope {
  entity: { type: 'user' | 'org' | 'model'; name: string };
  permissions: string[];
}

export interface FakeTokenFixture {
  /** `hf_` + 34 ASCII letters, obviously fake. */
  value: string;
  role: TokenRole;
  displayName?: string;
  createdAt?: string;
  /** Fine-grained tokens only: may the token read gated repos its user has accepted? Default true. */
  canReadGatedRepos?: boolean;
  /** Fine-grained tokens only: which private repos it may read (`repo.content.read`). */
  scoped?: FineGrainedScope[];
  global?: string[];
}

export interface FakeUserFixture {
  name: string;
  fullname: string;
  email?: string;
  /** Relative to the hub origin, as the real hub often answers. */
  avatarUrl?: string;
  /** Organisations the user belongs to; their private repos are readable. */
  orgs?: string[];
  tokens: FakeTokenFixture[];
}

export type GatedMode = false | 'auto' | 'manual';

export type RepoFileSource = string | Uint8Array | { content: string | Uint8Array; lfs?: boolean };

export interface FakeRepoFixture {
  /** `namespace/name` (or a legacy `name`). */
  id: string;
  private?: boolean;
  gated?: GatedMode;
  /** Users who accepted the terms of a gated repo (both modes are modelled the same way). */
  acceptedUsers?: string[];
  /** Users besides the namespace owner (and its org members) who may read a private repo. */
  members?: string[];
  /** Branch or tag name → 40-hex commit sha. `main` is derived from the content when absent. */
  revisions?: Record<string, string>;
  /** Every file under this folder becomes a repo file (paths relative to it, `/`-separated). */
  dir?: string;
  /** In-memory files, added after (and overriding) those from `dir`. */
  files?: Record<string, RepoFileSource>;
  /** Globs of files stored with LFS whatever their size. */
  lfsPaths?: string[];
  pipelineTag?: string;
  tags?: string[];
  license?: string;
  cardData?: Record<string, unknown>;
  libraryName?: string;
  downloads?: number;
  likes?: number;
  lastModified?: string;
  /** Former ids: requests for them answer 307 to this repo. */
  renamedFrom?: string[];
  /** A disabled repo answers 403 "Access to this resource is disabled." everywhere. */
  disabled?: boolean;
}

export interface FakeHubFixture {
  users: FakeUserFixture[];
  repos: FakeRepoFixture[];
  /** Files strictly larger than this are stored with LFS (redirected to the CDN). */
  lfsThresholdBytes?: number;
}

export const DEFAULT_LFS_THRESHOLD_BYTES = 10 * 1024;

const FAKE_TOKEN_LETTERS = 34;

/** Builds an obviously fake token: `hf_` + the label, padded with `padLetter` to 34 letters. */
export function fakeToken(label: string, padLetter: string): string {
  const letters = label + padLetter.repeat(Math.max(0, FAKE_TOKEN_LETTERS - label.length));
  if (!/^[A-Za-z]{34}$/.test(letters)) throw new Error(`fake token label must be at most 34 letters: ${label}`);
  return `hf_${letters}`;
}

export const DEMO_TOKENS = {
  /** alice, role read. */
  aliceRead: fakeToken('aliceReadToken', 'A'),
  /** alice, fine-grained, without access to gated repos. */
  aliceFineGrained: fakeToken('aliceFineGrainedToken', 'F'),
  /** bob, role write. */
  bobWrite: fakeToken('bobWriteToken', 'B'),
} as const;

export const DEMO_REPOS = {
  /** Public, with a `v1` tag besides `main`. */
  public: 'local-sd/oracle-shapes',
  /** Gated with automatic approval; bob accepted, alice did not. */
  gatedAuto: 'local-sd/oracle-shapes-gated',
  /** Gated with manual approval; bob was approved, alice was not. */
  gatedManual: 'local-sd/oracle-shapes-manual',
  /** Private, owned by alice. */
  private: 'alice/private-shapes',
  /** Former name of the public repo: answers 307. */
  renamed: 'local-sd/shapes-old-name',
} as const;

export const DEMO_MODEL_DIR = fileURLToPath(new URL('../../public/models/oracle-shapes/', import.meta.url));

export interface DemoFixtureOptions {
  /** Folder with the model served by every demo repo; small generated files when it does not exist. */
  modelDir?: string;
}

/** The hub `npm run hub` serves, and the one end-to-end tests log in to. */
export function createDemoFixture(options: DemoFixtureOptions = {}): FakeHubFixture {
  const modelDir = options.modelDir ?? DEMO_MODEL_DIR;
  const content: Pick<FakeRepoFixture, 'dir' | 'files'> = isDirectory(modelDir)
    ? { dir: modelDir }
    : { files: generatedModelFiles() };
  const common = {
    ...content,
    pipelineTag: 'text-to-image',
    tags: ['onnx', 'diffusers', 'text-to-image', 'local-sd-oracle'],
    license: 'mit',
    libraryName: 'diffusers',
  } satisfies Partial<FakeRepoFixture>;

  return {
    users: [
      {
        name: 'alice',
        fullname: 'Alice Example',
        email: 'alice@example.com',
        avatarUrl: '/avatars/alice.svg',
        tokens: [
          { value: DEMO_TOKENS.aliceRead, role: 'read', displayName: 'local-sd' },
          {
            value: DEMO_TOKENS.aliceFineGrained,
            role: 'fineGrained',
            displayName: 'local-sd-fine-grained',
            canReadGatedRepos: false,
            scoped: [{ entity: { type: 'user', name: 'alice' }, permissions: ['repo.content.read'] }],
          },
        ],
      },
      {
        name: 'bob',
        fullname: 'Bob Example',
        email: 'bob@example.com',
        avatarUrl: '/avatars/bob.svg',
        tokens: [{ value: DEMO_TOKENS.bobWrite, role: 'write', displayName: 'local-sd-write' }],
      },
    ],
    repos: [
      { ...common, id: DEMO_REPOS.public, revisions: { main: sha('1'), v1: sha('2') }, renamedFrom: [DEMO_REPOS.renamed] },
      { ...common, id: DEMO_REPOS.gatedAuto, gated: 'auto', acceptedUsers: ['bob'], revisions: { main: sha('3') } },
      { ...common, id: DEMO_REPOS.gatedManual, gated: 'manual', acceptedUsers: ['bob'], revisions: { main: sha('4') } },
      { ...common, id: DEMO_REPOS.private, private: true, revisions: { main: sha('5') } },
    ],
  };
}

/** A recognisable fake commit sha, e.g. 1111…1111. */
function sha(digit: string): string {
  return digit.repeat(40);
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * Stand-in files with the diffusers ONNX layout's names, so the hub starts before the oracle model is
 * built. The `.onnx` files are deterministic noise above the LFS threshold, not loadable models.
 */
export function generatedModelFiles(): Record<string, RepoFileSource> {
  const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';
  return {
    'model_index.json': json({
      _class_name: 'StableDiffusionPipeline',
      _diffusers_version: '0.30.0',
      scheduler: ['diffusers', 'EulerDiscreteScheduler'],
      text_encoder: ['onnxruntime', 'OnnxRuntimeModel'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      unet: ['onnxruntime', 'OnnxRuntimeModel'],
      vae_decoder: ['onnxruntime', 'OnnxRuntimeModel'],
    }),
    'scheduler/scheduler_config.json': json({
      _class_name: 'EulerDiscreteScheduler',
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      num_train_timesteps: 1000,
      prediction_type: 'epsilon',
      steps_offset: 1,
      set_alpha_to_one: true,
      timestep_spacing: 'leading',
    }),
    'tokenizer/tokenizer_config.json': json({ model_max_length: 77, do_lower_case: true }),
    'tokenizer/special_tokens_map.json': json({ bos_token: '<|startoftext|>', eos_token: '<|endoftext|>' }),
    'tokenizer/vocab.json': json({ '<|startoftext|>': 49406, '<|endoftext|>': 49407 }),
    'tokenizer/merges.txt': '#version: 0.2\n',
    'text_encoder/model.onnx': pseudoRandomBytes(24 * 1024, 1),
    'unet/model.onnx': pseudoRandomBytes(64 * 1024, 2),
    'vae_decoder/model.onnx': pseudoRandomBytes(16 * 1024, 3),
  };
}

/** Deterministic bytes (xorshift32), so hashes are stable from run to run. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}
