/**
 * The generated `nn.Module` class: one submodule per node with parameters,
 * `forward` running the nodes the prediction depends on in topological order,
 * and a `loss` helper of the project's loss kind.
 */

import type { GraphEdge } from '../../../shared/project';
import { formatSymbolicShape } from '../../graph/shapes';
import type { DatasetShapes, SymbolicShape } from '../../graph/types';
import type { GraphAnalysis } from '../../graph/validate';
import { NODE_EMITTERS, type EmitContext, type NodeEmitter } from './emitters';
import { bindLayers, type LayerBinding } from './names';
import { indent, NameAllocator, pythonCommentText, pythonInt, pythonString } from './python';
import { pythonClassSources, type PythonClassName } from './pythonClasses';

export interface ModelCode {
  /** Submodule of each node with parameters, by node id. */
  bindings: Map<string, LayerBinding>;
  classLines: string[];
  /** The `RENAMED_PARAMETERS` assignment. */
  renamedTable: string[];
  /** Name of the argument of `forward`: `features`, or `tokens` for a language model. */
  argument: string;
  /** Python expression of the first argument of `model.loss`, for the module docstring. */
  lossArgument: string;
}

/** Local names `forward` must not take for a node's output. */
const RESERVED_LOCALS = [
  'self', 'json', 'math', 'struct', 'sys', 'torch', 'F', 'nn', 'Dict', 'List',
  'input', 'id', 'type', 'list', 'dict', 'sum', 'max', 'min', 'len', 'range', 'print', 'object', 'format', 'iter',
  'next', 'map', 'filter', 'all', 'any', 'abs', 'round', 'hash', 'open', 'slice', 'super', 'vars', 'zip', 'str', 'int',
  'float', 'bool', 'tuple', 'set', 'logits', 'prediction', 'targets',
];

interface GraphRoles {
  inputNodeId: string;
  /** Output port of the data node that `forward` computes from its argument. */
  inputPort: string;
  lossNodeId: string;
  predictionEdge: GraphEdge;
  /** The prediction node and every node it depends on. */
  forwardNodes: Set<string>;
}

export function buildModelCode(analysis: GraphAnalysis, className: string, shapes: DatasetShapes): ModelCode {
  const roles = findRoles(analysis);
  const emitters = findEmitters(analysis, roles);
  const argument = emitters.get(roles.inputNodeId)!.argument ?? 'features';

  const layerIds = analysis.order.filter((node) => emitters.get(node.id)?.layer !== undefined).map((node) => node.id);
  const bindings = bindLayers(layerIds);
  const contexts = buildContexts(analysis, roles, bindings, shapes);

  const initLines: string[] = [];
  const parameterNames = new Map<string, readonly string[]>();
  const classes = new Set<PythonClassName>();
  for (const nodeId of layerIds) {
    const layer = emitters.get(nodeId)!.layer!(contexts.get(nodeId)!);
    parameterNames.set(nodeId, layer.parameters);
    for (const name of layer.classes ?? []) classes.add(name);
    const binding = bindings.get(nodeId)!;
    const unused = roles.forwardNodes.has(nodeId) ? '' : ', which forward() does not use';
    const assignment = binding.assign(layer.constructor).split('\n');
    initLines.push(`# node ${pythonString(nodeId)}${unused}`, ...assignment, ...layer.init(binding.access));
  }

  const predictionNode = roles.predictionEdge.source;
  const logitsPort = analysis.specs.get(predictionNode)!.logitsInput;
  const logitsEdge = logitsPort === undefined ? undefined : analysis.incoming.get(predictionNode)?.get(logitsPort);
  const splitsLogits = logitsEdge !== undefined && analysis.incoming.get(predictionNode)!.size === 1;
  const languageModel = shapes.task === 'language-model';
  const lossKind = languageModel ? 'sequence-cross-entropy' : analysis.params.get(roles.lossNodeId)!.kind === 'mse' ? 'mse' : 'cross-entropy';
  const usesLogits = splitsLogits && lossKind !== 'mse';

  const inputShape = formatSymbolicShape(analysis.nodeShapes.get(roles.inputNodeId)?.[roles.inputPort] ?? ['B']);
  const predictionShape = formatSymbolicShape(analysis.edgeShapes.get(roles.predictionEdge.id)!);
  const forwardDoc = `    """Map ${argument} ${inputShape} to the prediction ${predictionShape} of node "${pythonCommentText(predictionNode)}"."""`;
  const signature = (method: string) => `def ${method}(self, ${argument}: torch.Tensor) -> torch.Tensor:`;
  const methods: string[] = [];
  if (splitsLogits) {
    const logitsShape = formatSymbolicShape(analysis.edgeShapes.get(logitsEdge.id)!);
    const body = forwardBody(analysis, roles, emitters, contexts, logitsEdge, new Set([predictionNode]), argument);
    const context = { ...contexts.get(predictionNode)!, inputs: { [logitsPort!]: `self.logits(${argument})` } };
    const expression = emitters.get(predictionNode)!.forward(context)[roles.predictionEdge.sourcePort];
    methods.push(
      signature('logits'),
      `    """Map ${argument} ${inputShape} to the scores ${logitsShape} that enter the final softmax."""`,
      ...indent(body, 1),
      '',
      signature('forward'),
      forwardDoc,
      `    return ${expression}`,
      '',
    );
  } else {
    const body = forwardBody(analysis, roles, emitters, contexts, roles.predictionEdge, new Set(), argument);
    methods.push(signature('forward'), forwardDoc, ...indent(body, 1), '');
  }
  methods.push(...lossMethod(lossKind, usesLogits, shapes));

  const renamed = [...bindings.values()].filter((binding) => binding.renamed);
  const classLines: string[] = [];
  for (const source of pythonClassSources(classes)) classLines.push(...source.split('\n'), '', '');
  classLines.push(
    `class ${className}(nn.Module):`,
    '    """The graph of the Tensorloom project PROJECT_NAME as a PyTorch module."""',
    '',
    '    def __init__(self) -> None:',
    '        super().__init__()',
    ...indent(initLines, 2),
    '',
    ...indent(methods, 1),
  );
  return {
    bindings,
    classLines,
    renamedTable: renamedTable(renamed, parameterNames),
    argument,
    lossArgument: usesLogits ? `model.logits(${argument})` : `model(${argument})`,
  };
}

/** Returns the emitter of every node but the Loss, or throws naming the first node whose type has none. */
function findEmitters(analysis: GraphAnalysis, roles: GraphRoles): Map<string, NodeEmitter> {
  const emitters = new Map<string, NodeEmitter>();
  for (const node of analysis.order) {
    if (node.id === roles.lossNodeId) continue;
    const emitter = NODE_EMITTERS.get(node.type);
    if (emitter === undefined) {
      const supported = [...NODE_EMITTERS.keys(), 'Loss'].join(', ');
      throw new Error(
        `Cannot export to PyTorch: node "${node.id}" has type ${node.type}, which the PyTorch export does not support yet. ` +
          `Supported types are ${supported}. Replace the node or export to another format.`,
      );
    }
    emitters.set(node.id, emitter);
  }
  return emitters;
}

function findRoles(analysis: GraphAnalysis): GraphRoles {
  const inputNodeId = analysis.order.find((node) => analysis.specs.get(node.id)!.category === 'data')!.id;
  const lossNodeId = analysis.order.find((node) => analysis.specs.get(node.id)!.category === 'loss')!.id;
  const predictionEdge = analysis.incoming.get(lossNodeId)!.get('prediction')!;

  const forwardNodes = new Set([predictionEdge.source]);
  const pending = [predictionEdge.source];
  while (pending.length > 0) {
    for (const edge of analysis.incoming.get(pending.pop()!)?.values() ?? []) {
      if (forwardNodes.has(edge.source)) continue;
      forwardNodes.add(edge.source);
      pending.push(edge.source);
    }
  }
  const inputPort = analysis.specs.get(inputNodeId)!.outputs[0].name;
  return { inputNodeId, inputPort, lossNodeId, predictionEdge, forwardNodes };
}

/** Builds each node's emit context, with `inputs` left empty until the forward body names the values. */
function buildContexts(
  analysis: GraphAnalysis,
  roles: GraphRoles,
  bindings: ReadonlyMap<string, LayerBinding>,
  shapes: DatasetShapes,
): Map<string, EmitContext> {
  const moduleOf = (nodeId: string): string => {
    const binding = bindings.get(nodeId);
    if (binding === undefined) {
      throw new Error(`Cannot export to PyTorch: node "${nodeId}" has no parameters to share. Tie the Unembedding to an Embedding node instead.`);
    }
    return binding.access;
  };
  const contexts = new Map<string, EmitContext>();
  for (const node of analysis.order) {
    if (node.id === roles.lossNodeId) continue;
    const inputShapes: Record<string, SymbolicShape> = {};
    for (const [port, edge] of analysis.incoming.get(node.id) ?? []) inputShapes[port] = analysis.edgeShapes.get(edge.id)!;
    contexts.set(node.id, {
      nodeId: node.id,
      params: analysis.params.get(node.id)!,
      inputShapes,
      inputs: {},
      module: bindings.get(node.id)?.access ?? '',
      moduleOf,
      ...(shapes.vocabularySize === undefined ? {} : { vocabularySize: shapes.vocabularySize }),
    });
  }
  return contexts;
}

/**
 * Returns the statements that compute the value on `resultEdge` from the
 * forward argument: one assignment per output the forward pass uses, each with
 * its shape, then the return. Nodes in `skip` are left out.
 */
function forwardBody(
  analysis: GraphAnalysis,
  roles: GraphRoles,
  emitters: ReadonlyMap<string, NodeEmitter>,
  contexts: ReadonlyMap<string, EmitContext>,
  resultEdge: GraphEdge,
  skip: ReadonlySet<string>,
  argument: string,
): string[] {
  const needed = new Set([resultEdge.source]);
  for (const node of [...analysis.order].reverse()) {
    if (!needed.has(node.id)) continue;
    for (const edge of analysis.incoming.get(node.id)?.values() ?? []) needed.add(edge.source);
  }
  for (const nodeId of skip) needed.delete(nodeId);

  const usedPorts = new Map<string, Set<string>>();
  const markUsed = (edge: GraphEdge) => {
    const ports = usedPorts.get(edge.source) ?? new Set<string>();
    ports.add(edge.sourcePort);
    usedPorts.set(edge.source, ports);
  };
  markUsed(resultEdge);
  for (const nodeId of needed) for (const edge of analysis.incoming.get(nodeId)?.values() ?? []) markUsed(edge);

  const names = new NameAllocator([...RESERVED_LOCALS, argument]);
  const variables = new Map<string, string>();
  const lines: string[] = [];
  for (const node of analysis.order) {
    if (!needed.has(node.id)) continue;
    const inputs: Record<string, string> = {};
    if (node.id === roles.inputNodeId) inputs.features = argument;
    for (const [port, edge] of analysis.incoming.get(node.id) ?? []) {
      const variable = variables.get(`${edge.source}\n${edge.sourcePort}`);
      if (variable === undefined) {
        throw new Error(
          `Cannot export to PyTorch: node "${node.id}" reads port ${edge.sourcePort} of node "${edge.source}", ` +
            'which the exported forward() does not compute (it receives only the features). Connect the node to the features instead.',
        );
      }
      inputs[port] = variable;
    }

    const outputs = emitters.get(node.id)!.forward({ ...contexts.get(node.id)!, inputs });
    const ports = [...(usedPorts.get(node.id) ?? [])];
    const outputShapes = analysis.nodeShapes.get(node.id) ?? {};
    for (const port of ports) {
      const expression = outputs[port];
      if (expression === undefined) continue;
      let base = ports.length > 1 ? `${node.id}_${port}` : node.id;
      if (node.id === roles.inputNodeId) base = 'x';
      const variable = names.allocate(base, 'node_');
      variables.set(`${node.id}\n${port}`, variable);
      const shape = outputShapes[port];
      const comment = shape === undefined ? '' : `  # ${formatSymbolicShape(shape)}`;
      lines.push(`${variable} = ${expression}${comment}`);
    }
  }
  lines.push(`return ${variables.get(`${resultEdge.source}\n${resultEdge.sourcePort}`)}`);
  return lines;
}

function lossMethod(kind: 'mse' | 'cross-entropy' | 'sequence-cross-entropy', usesLogits: boolean, shapes: DatasetShapes): string[] {
  const source = usesLogits ? 'logits()' : 'forward()';
  if (kind === 'mse') {
    return [
      'def loss(self, prediction: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:',
      '    """Mean squared error between forward() and one-hot class targets [B], as in Tensorloom."""',
      `    one_hot = F.one_hot(targets.long(), num_classes=${pythonInt(shapes.classCount)}).to(prediction.dtype)  # [B, C]`,
      '    return F.mse_loss(prediction, one_hot)',
    ];
  }
  if (kind === 'sequence-cross-entropy') {
    return [
      'def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:',
      `    """Mean next-token cross-entropy in nats of logits [B, T, V] from ${source}."""`,
      '    flat_logits = logits.reshape(-1, logits.shape[-1])  # [B, T, V] -> [B*T, V]',
      '    return F.cross_entropy(flat_logits, targets.reshape(-1).long())  # targets [B, T] -> [B*T]',
    ];
  }
  return [
    'def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:',
    `    """Mean cross-entropy of the logits from ${source} against class targets [B]."""`,
    '    return F.cross_entropy(logits, targets.long())',
  ];
}

/** Writes the mapping from Tensorloom parameter names to state_dict() keys for renamed submodules. */
function renamedTable(renamed: readonly LayerBinding[], parameterNames: ReadonlyMap<string, readonly string[]>): string[] {
  if (renamed.length === 0) {
    return ['# Tensorloom parameter names that differ from state_dict() keys: none in this model.', 'RENAMED_PARAMETERS: Dict[str, str] = {}'];
  }
  const entries: string[] = [];
  for (const binding of renamed) {
    for (const localName of parameterNames.get(binding.nodeId)!) {
      entries.push(`    ${pythonString(`${binding.nodeId}.${localName}`)}: ${pythonString(`${binding.moduleName}.${localName}`)},`);
    }
  }
  return [
    '# Tensorloom parameter names that differ from state_dict() keys, because PyTorch',
    '# cannot use these node ids as submodule names.',
    'RENAMED_PARAMETERS: Dict[str, str] = {',
    ...entries,
    '}',
  ];
}
