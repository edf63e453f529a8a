// Docker Engine API JSON shapes (swarm subset, swagger v1.51). Field names are
// exactly the API's, so these types serve both the HTTP server and the client.
export * from './common';
export * from './system';
export * from './swarm';
export * from './node';
export * from './service';
export * from './task';
export * from './network';
