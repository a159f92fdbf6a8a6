// src/report/svg.ts — a laid-out chart as an inline SVG element (for the HTML report).
import type { ChartLayout } from "./chart.js";
import { escapeHtml } from "./escape.js";

export function chartSvg(c: ChartLayout): string {
  const { x0, y0, x1, y1 } = c.plot;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${c.width}" height="${c.height}" viewBox="0 0 ${c.width} ${c.height}" role="img" aria-label="${escapeHtml(c.title)}">`,
    `<rect x="0" y="0" width="${c.width}" height="${c.height}" fill="#fff"/>`,
    `<text x="${(x0 + x1) / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeHtml(c.title)}</text>`,
  ];
  for (const t of c.yTicks) {
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${r(t.pos)}" y2="${r(t.pos)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x0 - 4}" y="${r(t.pos + 4)}" text-anchor="end" font-size="10">${escapeHtml(t.label)}</text>`);
  }
  for (const t of c.xTicks) {
    parts.push(`<line x1="${r(t.pos)}" x2="${r(t.pos)}" y1="${y0}" y2="${y1}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${r(t.pos)}" y="${y1 + 14}" text-anchor="middle" font-size="10">${escapeHtml(t.label)}</text>`);
  }
  parts.push(`<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${(x0 + x1) / 2}" y="${c.height - 8}" text-anchor="middle" font-size="11">${escapeHtml(c.xLabel)}</text>`);
  c.lines.forEach((l, i) => {
    const pts = l.points.map(([x, y]) => `${r(x)},${r(y)}`).join(" ");
    if (l.points.length === 1) parts.push(`<circle cx="${r(l.points[0][0])}" cy="${r(l.points[0][1])}" r="3" fill="${l.color}"/>`);
    else parts.push(`<polyline points="${pts}" fill="none" stroke="${l.color}" stroke-width="1.5"><title>${escapeHtml(l.name)}</title></polyline>`);
    const ly = y0 + 12 + 14 * i;
    parts.push(`<line x1="${x1 - 120}" x2="${x1 - 104}" y1="${ly - 4}" y2="${ly - 4}" stroke="${l.color}" stroke-width="2"/>`);
    parts.push(`<text x="${x1 - 100}" y="${ly}" font-size="10">${escapeHtml(l.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}
