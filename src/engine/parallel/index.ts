/** Device mesh, process groups, transports and collectives for running one model on several devices. */

export * from './accounting';
export * from './collectives';
export * from './group';
export * from './memoryTransport';
export * from './mesh';
export * from './portTransport';
export * from './sharding';
export * from './transport';
