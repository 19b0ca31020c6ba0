/**
 * Draws the app icons (any-purpose 192/512 and a maskable 512 with its content inside the 80 % safe
 * zone) into public/icons. Run by hand when the design changes: `npx tsx tools/make-icons.ts`.
 * The motif is the demo model's own picture: a red disc on blue.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { encodePng } from '../src/image/png.ts';

function draw(size: number, maskable: boolean): Uint8Array {
  const rgba = new Uint8Array(size * size * 4);
  const radiusCorner = maskable ? 0 : size * 0.18;
  const inset = maskable ? size * 0.1 : 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      // Rounded-square tile (full bleed for maskable icons, whose shape the platform decides).
      const dx = Math.max(radiusCorner - x - 0.5, x + 0.5 - (size - radiusCorner), 0);
      const dy = Math.max(radiusCorner - y - 0.5, y + 0.5 - (size - radiusCorner), 0);
      const inTile = radiusCorner === 0 || dx * dx + dy * dy <= radiusCorner * radiusCorner;
      if (!inTile) continue;
      const t = y / size;
      let [r, g, b] = [40 + 10 * t, 80 - 20 * t, 230 - 40 * t];
      const c = size / 2;
      const rad = (size - 2 * inset) * 0.3;
      const d = Math.hypot(x + 0.5 - c, y + 0.5 - c);
      const cover = Math.min(1, Math.max(0, rad - d + 0.5)); // anti-aliased disc edge
      r = r * (1 - cover) + 230 * cover;
      g = g * (1 - cover) + 40 * cover;
      b = b * (1 - cover) + 40 * cover;
      rgba.set([Math.round(r), Math.round(g), Math.round(b), 255], i);
    }
  }
  return rgba;
}

const deflate = async (data: Uint8Array) => new Uint8Array(deflateSync(data, { level: 9 }));
mkdirSync('public/icons', { recursive: true });
for (const [name, size, maskable] of [
  ['icon-192.png', 192, false],
  ['icon-512.png', 512, false],
  ['icon-maskable-512.png', 512, true],
] as const) {
  writeFileSync(`public/icons/${name}`, await encodePng(draw(size, maskable), size, size, deflate));
  console.log(`public/icons/${name}`);
}
