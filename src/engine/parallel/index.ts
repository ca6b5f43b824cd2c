/** Device mesh, process groups, transports, collectives, partition plans and the plan executor for running one model on several devices. */

export * from './accounting';
export * from './collectives';
export * from './group';
export * from './memoryTransport';
export * from './mesh';
export * from './portTransport';
export * from './sharding';
export * from './transport';
export * from './commOps';
export * from './costModel';
export * from './executor';
export * from './mlpWorkload';
export * from './oneDeviceCheck';
export * from './plan';
export * from './shardedLayers';
export * from './stepRecorder';
export * from './transformerWorkload';
export * from './graphPlan';
export * from './reportEstimate';
