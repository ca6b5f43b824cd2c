/** Number formats of the Devices view. */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB'];

/** Formats a byte count with a binary unit: `1536` → `1.5 KiB`. */
export function formatBytes(byteCount: number): string {
  let value = byteCount;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** Formats a duration in milliseconds with three significant digits. */
export function formatMs(durationMs: number): string {
  if (durationMs >= 100) return `${durationMs.toFixed(0)} ms`;
  return `${durationMs.toPrecision(3)} ms`;
}

/** Formats a difference in scientific notation, so 3.1e-8 and 2.0e-3 compare at a glance. */
export function formatDifference(value: number): string {
  return value === 0 ? '0' : value.toExponential(2);
}

/** Names a device by its world rank and its place in the mesh: `device 3 (data 1, tensor 1)`. */
export function deviceName(report: { deviceIndex: number; dataIndex: number; tensorIndex: number }): string {
  return `device ${report.deviceIndex} (data ${report.dataIndex}, tensor ${report.tensorIndex})`;
}
