/**
 * The bench's charts as SVG text, without a chart library: a line chart
 * (one polyline per series, log-scale y, a legend) and a bar chart with
 * min–max whiskers. Each series gets a fixed colour.
 *
 * @module
 */

const WIDTH = 720;
const HEIGHT = 400;
const MARGIN = { left: 70, right: 190, top: 40, bottom: 50 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

/** One line of a line chart: its points as [x, y]. */
export interface Series {
  name: string;
  points: [number, number][];
}

/** One bar: its value and spread. */
export interface Bar {
  name: string;
  value: number;
  min: number;
  max: number;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
    `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

function legend(names: string[]): string[] {
  return names.flatMap((name, i) => {
    const y = MARGIN.top + 10 + i * 20;
    const x = WIDTH - MARGIN.right + 15;
    return [
      `<rect x="${x}" y="${y - 9}" width="14" height="10" fill="${COLOURS[i % COLOURS.length]}"/>`,
      `<text x="${x + 20}" y="${y}">${escapeXml(name)}</text>`,
    ];
  });
}

/** A round tick step of about a fifth of `span`. */
function tickStep(span: number): number {
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? raw;
}

const fixed = (n: number) => n.toFixed(1);

/** Lines of `series` against a linear x from 0 and a log10 y. */
export function lineChart(
  options: { title: string; xLabel: string; yLabel: string; series: Series[] },
): string {
  const points = options.series.flatMap((series) => series.points);
  const xMax = Math.max(1, ...points.map(([x]) => x)) * 1.05;
  const ys = points.map(([, y]) => y).filter((y) => y > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(1, ...ys)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(10, ...ys)));
  const sx = (x: number) => MARGIN.left + (x / xMax) * PLOT_W;
  const sy = (y: number) =>
    MARGIN.top + PLOT_H -
    ((Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / Math.log10(yMax / yMin)) * PLOT_H;
  const body: string[] = [];
  const xStep = tickStep(xMax);
  for (let x = 0; x <= xMax; x += xStep) {
    body.push(
      `<line x1="${fixed(sx(x))}" y1="${MARGIN.top}" x2="${fixed(sx(x))}" ` +
        `y2="${MARGIN.top + PLOT_H}" stroke="#ddd"/>`,
      `<text x="${fixed(sx(x))}" y="${MARGIN.top + PLOT_H + 16}" text-anchor="middle">` +
        `${x >= 1000 ? `${x / 1000}k` : x}</text>`,
    );
  }
  for (let y = yMin; y <= yMax; y *= 10) {
    body.push(
      `<line x1="${MARGIN.left}" y1="${fixed(sy(y))}" x2="${MARGIN.left + PLOT_W}" ` +
        `y2="${fixed(sy(y))}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${fixed(sy(y) + 4)}" text-anchor="end">${y}</text>`,
    );
  }
  options.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const coordinates = series.points.toSorted(([a], [b]) => a - b)
      .map(([x, y]) => `${fixed(sx(x))},${fixed(sy(y))}`);
    body.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${
        coordinates.join(" ")
      }">` +
        `<title>${escapeXml(series.name)}</title></polyline>`,
      ...coordinates.map((xy) => {
        const [cx, cy] = xy.split(",");
        return `<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`;
      }),
    );
  });
  body.push(
    `<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 12}" text-anchor="middle">` +
      `${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(18 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" ` +
      `text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
    ...legend(options.series.map((series) => series.name)),
  );
  return frame(options.title, body);
}

/** Horizontal bars of `bars`, from 0, with a min–max whisker each, labelled (no legend). */
export function barChart(options: { title: string; unit: string; bars: Bar[] }): string {
  const xMax = Math.max(1, ...options.bars.map((bar) => bar.max));
  // Room on the left for the names, on the right for the values.
  const left = MARGIN.left + 60;
  const sx = (x: number) => left + (x / xMax) * (WIDTH - left - 110);
  const band = PLOT_H / Math.max(1, options.bars.length);
  const body = options.bars.flatMap((bar, i) => {
    const y = MARGIN.top + i * band;
    const mid = fixed(y + band / 2);
    const colour = COLOURS[i % COLOURS.length];
    return [
      `<text x="${MARGIN.left + 54}" y="${fixed(y + band / 2 + 4)}" text-anchor="end">` +
      `${escapeXml(bar.name)}</text>`,
      `<rect x="${fixed(sx(0))}" y="${fixed(y + band * 0.2)}" width="${
        fixed(sx(bar.value) - sx(0))
      }" height="${fixed(band * 0.6)}" fill="${colour}"/>`,
      `<line x1="${fixed(sx(bar.min))}" y1="${mid}" x2="${fixed(sx(bar.max))}" y2="${mid}" ` +
      `stroke="black"/>`,
      `<text x="${fixed(sx(bar.max) + 6)}" y="${fixed(y + band / 2 + 4)}">` +
      `${bar.value.toFixed(1)} ${escapeXml(options.unit)}</text>`,
    ];
  });
  return frame(options.title, body);
}
