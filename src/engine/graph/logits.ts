/**
 * Key under which a node's forward inputs carry the logits behind a probability
 * input: when port `prediction` is fed by a Softmax, `inputs['prediction:logits']`
 * contains the Softmax's input.
 */
export function logitsInputKey(port: string): string {
  return `${port}:logits`;
}
