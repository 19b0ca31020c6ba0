/**
 * What one image was made with, and its text form in a PNG `parameters` chunk exactly as
 * AUTOMATIC1111's web UI writes it, so our PNGs reopen with their settings in other tools:
 *
 *   a red circle on a blue background
 *   Negative prompt: blurry
 *   Steps: 8, Sampler: Euler, CFG scale: 1, Seed: 42, Size: 512x512, Model: Shapes oracle (demo)
 */
export interface GenerationParams {
  prompt: string;
  negativePrompt: string;
  seed: number;
  steps: number;
  guidance: number;
  width: number;
  height: number;
  /** Scheduler id, e.g. 'euler_a'. */
  scheduler: string;
  /** Catalog id of the model. */
  modelId: string;
}

/** Scheduler ids and the sampler names AUTOMATIC1111 writes for them. */
const SAMPLER_NAMES: Record<string, string> = {
  euler: 'Euler',
  euler_a: 'Euler a',
  ddim: 'DDIM',
  dpmpp_2m: 'DPM++ 2M',
  dpmpp_2m_karras: 'DPM++ 2M Karras',
  lcm: 'LCM',
};

export function samplerName(scheduler: string): string {
  return SAMPLER_NAMES[scheduler] ?? scheduler;
}

export function formatParameters(params: GenerationParams, modelName: string): string {
  const lines = [params.prompt];
  if (params.negativePrompt) lines.push(`Negative prompt: ${params.negativePrompt}`);
  const fields: [string, string | number][] = [
    ['Steps', params.steps],
    ['Sampler', samplerName(params.scheduler)],
    ['CFG scale', params.guidance],
    ['Seed', params.seed],
    ['Size', `${params.width}x${params.height}`],
    ['Model', modelName],
  ];
  // A1111 quotes values that contain its separators.
  const quote = (v: string | number) => (typeof v === 'string' && /[,:\n"]/.test(v) ? JSON.stringify(v) : String(v));
  lines.push(fields.map(([k, v]) => `${k}: ${quote(v)}`).join(', '));
  return lines.join('\n');
}

export interface ParsedParameters {
  prompt: string;
  negativePrompt: string;
  fields: Record<string, string>;
}

/** Reads the A1111 text back: prompt lines, an optional "Negative prompt:" and the last "Key: value, …" line. */
export function parseParameters(text: string): ParsedParameters {
  const lines = text.split('\n');
  const last = lines.at(-1) ?? '';
  const fields: Record<string, string> = {};
  const fieldPattern = /\s*([\w ]+):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)/g;
  let hasFields = false;
  if (/^Steps: /.test(last)) {
    hasFields = true;
    for (const m of last.matchAll(fieldPattern)) {
      const value = m[2]!.trim();
      fields[m[1]!.trim()] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
    }
  }
  const body = hasFields ? lines.slice(0, -1) : lines;
  const negIndex = body.findIndex((l) => l.startsWith('Negative prompt: '));
  const prompt = (negIndex >= 0 ? body.slice(0, negIndex) : body).join('\n');
  const negativePrompt = negIndex >= 0 ? [body[negIndex]!.slice('Negative prompt: '.length), ...body.slice(negIndex + 1)].join('\n') : '';
  return { prompt, negativePrompt, fields };
}
