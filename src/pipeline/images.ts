/**
 * Pixels: the VAE's output and the cheap latent previews, as RGBA bytes (what `ImageData` takes).
 */
import type { LatentPreviewMethod } from './model.ts';

/** [-1, 1] → 0…255 as diffusers does: `round(clip(x / 2 + 0.5, 0, 1) * 255)`. */
function toByte(value: number): number {
  return Math.round(Math.min(Math.max(value / 2 + 0.5, 0), 1) * 255);
}

/** The VAE decoder's `sample` [1, 3, H, W] (planar RGB in [-1, 1]) as interleaved RGBA. */
export function planarRgbToRgba(planar: ArrayLike<number>, width: number, height: number): Uint8ClampedArray {
  const pixels = width * height;
  const rgba = new Uint8ClampedArray(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    rgba[4 * i] = toByte(planar[i]);
    rgba[4 * i + 1] = toByte(planar[pixels + i]);
    rgba[4 * i + 2] = toByte(planar[2 * pixels + i]);
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

/**
 * Latent channel → RGB weights that approximate SD 1.x/2.x's VAE decoder on a latent as the UNet
 * sees it (ComfyUI's `latent_rgb_factors` for SD 1.5): a 1/8-size preview without running the VAE.
 */
const SD_LATENT_RGB: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

/**
 * A preview of one latent [4, h, w] at latent resolution (the UI scales it up):
 * - 'rgb-channels': channels 0–2 divided by the VAE factor are RGB (the Shapes oracle's VAE);
 * - 'sd-approximation': the linear map above.
 */
export function latentPreviewRgba(
  latent: ArrayLike<number>,
  width: number,
  height: number,
  method: LatentPreviewMethod,
  vaeScalingFactor: number,
): Uint8ClampedArray {
  const pixels = width * height;
  const rgba = new Uint8ClampedArray(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < 3; c++) {
      let value: number;
      if (method === 'rgb-channels') {
        value = latent[c * pixels + i] / vaeScalingFactor;
      } else {
        value = 0;
        for (let k = 0; k < 4; k++) value += SD_LATENT_RGB[k][c] * latent[k * pixels + i];
      }
      rgba[4 * i + c] = toByte(value);
    }
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}
