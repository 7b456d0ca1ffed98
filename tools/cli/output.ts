/** Plain aligned tables and JSON, the two output modes of every command. */

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | null | undefined;
  /** Long free text (error messages) is cut so one row stays one line. */
  maxWidth?: number;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** Notes about the outcome go to stderr so that stdout stays parseable even in human mode. */
export function printNote(text: string): void {
  process.stderr.write(`${text}\n`);
}

export function printTable<Row>(rows: readonly Row[], columns: Column<Row>[], emptyMessage: string): void {
  if (rows.length === 0) {
    printLine(emptyMessage);
    return;
  }
  const cells = rows.map((row) => columns.map((column) => cellText(column.value(row), column.maxWidth)));
  const numeric = columns.map((column) => rows.every((row) => typeof column.value(row) === 'number'));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => line[i].length)),
  );
  const render = (line: string[]) =>
    line
      .map((text, i) => (numeric[i] ? text.padStart(widths[i]) : text.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  printLine(render(columns.map((column) => column.header)));
  for (const line of cells) printLine(render(line));
}

function cellText(value: string | number | null | undefined, maxWidth: number | undefined): string {
  const text = value === null || value === undefined || value === '' ? '-' : String(value);
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return maxWidth && oneLine.length > maxWidth ? `${oneLine.slice(0, maxWidth - 1)}…` : oneLine;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms <= 0) return '-';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}

/** ISO timestamps without the milliseconds and zone letter: easier to scan in a table (always UTC). */
export function formatTimestamp(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}
