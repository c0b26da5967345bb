// Bar charts drawn on the server as inline SVG: this computes the geometry, the barChart partial writes
// the markup (Handlebars escapes every label). No script and no style attributes (CSP style-src 'self'):
// colours and fonts come from classes in app.css, which also keeps them when printing.

export interface BarInput {
  label: string;
  value: number;
  /** Shown after the bar instead of the bare value (e.g. "3 · 30.0%"). */
  valueText?: string;
}

export interface Bar {
  label: string;
  valueText: string;
  y: number;
  textY: number;
  width: number;
  valueX: number;
}

export interface BarChart {
  width: number;
  height: number;
  labelX: number;
  barX: number;
  barHeight: number;
  bars: Bar[];
  /** The chart's accessible name: its title and every value, since the picture alone says nothing to a screen reader. */
  summary: string;
}

const WIDTH = 640;
const LABEL_WIDTH = 180;
const VALUE_ROOM = 90;
const ROW = 26;
const BAR = 18;
/** Labels longer than this are cut in the chart (the table beside it has them whole). */
const MAX_LABEL_CHARS = 14;

function clipLabel(label: string): string {
  const chars = [...label];
  return chars.length > MAX_LABEL_CHARS ? `${chars.slice(0, MAX_LABEL_CHARS - 1).join('')}…` : label;
}

export function barChart(title: string, items: readonly BarInput[]): BarChart {
  const max = Math.max(0, ...items.map((i) => i.value));
  const span = WIDTH - LABEL_WIDTH - VALUE_ROOM;
  const bars = items.map((item, i) => {
    // A non-zero value always shows at least a sliver, so it never looks like zero.
    const width = max > 0 && item.value > 0 ? Math.max(2, Math.round((item.value / max) * span)) : 0;
    const y = 4 + i * ROW;
    return {
      label: clipLabel(item.label),
      valueText: item.valueText ?? String(item.value),
      y,
      textY: y + BAR - 4,
      width,
      valueX: LABEL_WIDTH + width + 6,
    };
  });
  return {
    width: WIDTH,
    height: Math.max(ROW, 8 + items.length * ROW),
    labelX: LABEL_WIDTH - 8,
    barX: LABEL_WIDTH,
    barHeight: BAR,
    bars,
    summary: `${title}: ${items.map((i) => `${i.label} ${i.valueText ?? i.value}`).join('; ')}`,
  };
}
