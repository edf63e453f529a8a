// GET /tasks, /tasks/{id}.
import type { Labels, ObjectVersion, Timestamp } from './common';
import type { PortConfig, TaskSpec } from './service';

/** Listed in lifecycle order; a task only moves forward. */
export const TASK_STATES = [
  'new',
  'allocated',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

export interface ContainerStatus {
  ContainerID?: string;
  PID?: number;
  ExitCode?: number;
}

export interface TaskStatus {
  Timestamp: Timestamp;
  State: TaskState;
  Message: string;
  Err?: string;
  ContainerStatus?: ContainerStatus;
  /** Host-mode published ports of this task. */
  PortStatus?: { Ports?: PortConfig[] };
}

export interface NetworkAttachment {
  Network: { ID: string; Spec?: { Name: string } };
  Addresses?: string[];
}

export interface Task {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: Timestamp;
  UpdatedAt: Timestamp;
  Name?: string;
  Labels?: Labels;
  Spec: TaskSpec;
  ServiceID: string;
  /** Replicated services only. */
  Slot?: number;
  /** Empty until scheduled. */
  NodeID?: string;
  Status: TaskStatus;
  DesiredState: TaskState;
  NetworksAttachments?: NetworkAttachment[];
  JobIteration?: { Index?: number };
  /** Cluster volumes attached (null when none). */
  Volumes?: unknown[] | null;
}
