import type { MinutePoint } from '../overview/job-history';

const Width = 720;
const Height = 180;
const Pad = { left: 40, right: 10, top: 10, bottom: 24 };

/**
 * Processed and failed jobs per minute as an inline SVG (no script, no external asset). Built from numbers
 * and the fixed labels below only, so it is safe to embed unescaped.
 */
export function perMinuteChart(points: MinutePoint[]): string {
  const plotW = Width - Pad.left - Pad.right;
  const plotH = Height - Pad.top - Pad.bottom;
  const max = Math.max(1, ...points.map((p) => Math.max(p.processed, p.failed)));
  const step = points.length > 1 ? plotW / (points.length - 1) : plotW;
  const x = (i: number) => (Pad.left + i * step).toFixed(1);
  const y = (v: number) => (Pad.top + plotH - (v / max) * plotH).toFixed(1);
  const line = (key: 'processed' | 'failed') => points.map((p, i) => `${x(i)},${y(p[key])}`).join(' ');
  const ticks = [0, Math.round(max / 2), max]
    .map(
      (v) =>
        `<line x1="${Pad.left}" x2="${Width - Pad.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/>` +
        `<text x="${Pad.left - 6}" y="${y(v)}" class="axis" text-anchor="end" dominant-baseline="middle">${v}</text>`,
    )
    .join('');
  const labels = points
    .map((p, i) => ({ p, i }))
    .filter(({ i }) => i % 10 === 0 || i === points.length - 1)
    .map(
      ({ p, i }) =>
        `<text x="${x(i)}" y="${Height - 6}" class="axis" text-anchor="${i === points.length - 1 ? 'end' : 'middle'}">${p.minute.slice(11, 16)}</text>`,
    )
    .join('');
  return (
    `<svg class="chart" viewBox="0 0 ${Width} ${Height}" role="img" aria-label="Processed and failed jobs per minute, last hour">` +
    ticks +
    labels +
    `<polyline class="processed" points="${line('processed')}"/>` +
    `<polyline class="failed" points="${line('failed')}"/>` +
    '</svg>'
  );
}
