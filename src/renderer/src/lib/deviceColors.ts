/**
 * Colors of tensor shards on the canvas and in the Devices view. Tensor index i
 * gets color i of the Okabe–Ito palette, whose colors stay apart for color-blind
 * readers. A layer that every device stores whole is drawn in gray.
 */

const SHARD_COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

export const REPLICATED_COLOR = '#94a3b8';

export function shardColor(tensorIndex: number): string {
  return SHARD_COLORS[tensorIndex % SHARD_COLORS.length];
}
