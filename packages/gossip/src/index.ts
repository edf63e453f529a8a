// @shoal/gossip: SWIM membership with Lifeguard, piggybacked dissemination, push-pull anti-entropy,
// the replicated endpoint table, and the transports it runs on.
export * from './awareness';
export * from './broadcast-queue';
export * from './clock';
export * from './codec';
export * from './config';
export * from './errors';
export * from './gossip';
export * from './keyring';
export * from './logger';
export * from './member';
export * from './messages';
export * from './net-transport';
export * from './prng';
export * from './sealed-transport';
export * from './sim-network';
export * from './stream-framing';
export * from './suspicion';
export * from './swim-core';
export * from './table';
export * from './transport';
