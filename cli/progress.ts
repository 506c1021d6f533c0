import type { ProgressOutput } from './progress-bar.ts';

/**
 * The migrate progress bar on a narrow terminal. `ProgressDisplay` draws
 * `<label> <phase> [bar]  NN%  scanned …  stamped …  items/s  ETA m:ss` and cuts a line that is
 * too wide at its end, which loses the ETA first. The CLI has the display draw every line
 * whole and fits it here instead: stats go from the right but the ETA, then the bar narrows and
 * goes, then the label is cut, so the percent and the ETA stay on screen the longest.
 */

/** What the display is told the terminal's width is: every line is drawn whole. */
const UNCUT = 10_000;
const REDRAW = '\r\x1b[2K';
const BAR = /^(.*?) \[([█░]+)\] +(\d{1,3}%) {2}(.*)$/su;
const MIN_BAR = 10;

/** One progress line (as the display draws it) fitted to `columns`. */
export function fitProgressLine(line: string, columns: number): string {
  if (line.length <= columns) return line;
  const m = BAR.exec(line);
  if (!m) return `${line.slice(0, Math.max(0, columns - 1))}…`;
  const [, head = '', bar = '', percent = '', tail = ''] = m;
  const stats = tail.split('  ');
  const eta = stats.at(-1)?.startsWith('ETA ') ? stats.pop()! : undefined;
  const filled = [...bar].filter((c) => c === '█').length / bar.length;
  const render = (barWidth: number, label: string) => {
    const drawn = Math.round(filled * barWidth);
    const shownBar = barWidth ? ` [${'█'.repeat(drawn)}${'░'.repeat(barWidth - drawn)}]` : '';
    return [`${label}${shownBar} ${percent.padStart(4)}`, ...stats, ...(eta ? [eta] : [])].join(
      '  ',
    );
  };
  const fits = (text: string) => text.length <= columns;
  // The bar narrows first, then the stats right of the percent go, from the right; the ETA
  // stays. Then the bar goes, and last the label is cut from its right.
  let barWidth = [...bar].length;
  let fitted = render(barWidth, head);
  while (!fits(fitted) && barWidth > MIN_BAR) fitted = render(--barWidth, head);
  while (!fits(fitted) && stats.length) {
    stats.pop();
    fitted = render(barWidth, head);
  }
  if (fits(fitted)) return fitted;
  fitted = render(0, head);
  if (fits(fitted)) return fitted;
  const bare = render(0, '');
  const room = columns - bare.length;
  if (room < 2) return bare.trimStart().slice(0, columns);
  return render(0, `${head.slice(0, room - 1)}…`);
}

/**
 * `out` for a `ProgressDisplay`: it reports a width that never cuts, and fits each redrawn
 * line to the terminal's real width (read at each write, so a resize counts).
 */
export function fittedProgressOutput(out: ProgressOutput): ProgressOutput {
  if (!out.isTTY) return out;
  return {
    isTTY: true,
    columns: UNCUT,
    write: (chunk: string) => {
      if (!chunk.startsWith(REDRAW)) return out.write(chunk);
      const columns = out.columns || 100;
      return out.write(`${REDRAW}${fitProgressLine(chunk.slice(REDRAW.length), columns)}`);
    },
  };
}
