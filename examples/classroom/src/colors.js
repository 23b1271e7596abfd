// Participants' colours as text. The server gives each person a bright hue
// (PROTOCOL.md §5) that works as a dot but often not as letters: names
// written in it are darkened just enough to keep 4.5:1 contrast (WCAG AA)
// on the lightest chat backgrounds.

/** The darkest background a name is written on (a whisper's violet tint). */
const BACKGROUND = [0xf3, 0xe8, 0xff];
const MIN_CONTRAST = 4.6;

function luminance([r, g, b]) {
  const channel = (c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const cache = new Map();

/** `#rrggbb` darkened (mixed with black) until text in it is readable; other values unchanged. */
export function textColor(color) {
  if (!/^#[0-9a-f]{6}$/i.test(color ?? '')) return color;
  if (cache.has(color)) return cache.get(color);
  let rgb = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  for (let step = 0; step < 20 && contrast(rgb, BACKGROUND) < MIN_CONTRAST; step++) {
    rgb = rgb.map((c) => Math.round(c * 0.9));
  }
  const out = `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  cache.set(color, out);
  return out;
}
