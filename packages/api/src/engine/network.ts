// /networks*.
import type { Labels } from './common';

export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface IPAM {
  Driver?: string;
  Config?: IPAMConfig[] | null;
  Options?: Record<string, string> | null;
}

export type NetworkScope = 'swarm' | 'global' | 'local';

export interface Network {
  Name: string;
  Id: string;
  Created: string;
  Scope: NetworkScope;
  Driver: string;
  EnableIPv4?: boolean;
  EnableIPv6: boolean;
  IPAM: IPAM;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom?: { Network: string };
  ConfigOnly?: boolean;
  Containers?: Record<string, unknown>;
  Options?: Record<string, string>;
  Labels?: Labels;
  Peers?: Array<{ Name: string; IP: string }> | null;
}

/** POST /networks/create body. */
export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Scope?: NetworkScope;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network: string };
  IPAM?: IPAM;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Options?: Record<string, string>;
  Labels?: Labels;
}

/** POST /networks/create → 201 */
export interface NetworkCreateResponse {
  Id: string;
  Warning?: string;
}
