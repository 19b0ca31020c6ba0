import { createDemoFixture, pseudoRandomBytes, type FakeHubFixture } from './fixtures.ts';

/** Extra repos for the Models tests, on top of the demo hub. */
export const MODEL_TEST_REPOS = {
  /** A diffusers repo with PyTorch weights only: "Add model" must explain what is missing. */
  pytorchOnly: 'local-sd/pytorch-only',
} as const;

export function createModelsFixture(): FakeHubFixture {
  const demo = createDemoFixture();
  return {
    ...demo,
    repos: [
      ...demo.repos,
      {
        id: MODEL_TEST_REPOS.pytorchOnly,
        pipelineTag: 'text-to-image',
        tags: ['diffusers', 'safetensors'],
        license: 'creativeml-openrail-m',
        files: {
          'model_index.json': '{"_class_name": "StableDiffusionPipeline"}\n',
          'unet/diffusion_pytorch_model.safetensors': pseudoRandomBytes(20 * 1024, 11),
          'text_encoder/model.safetensors': pseudoRandomBytes(12 * 1024, 12),
          'vae/diffusion_pytorch_model.safetensors': pseudoRandomBytes(12 * 1024, 13),
        },
      },
    ],
  };
}
