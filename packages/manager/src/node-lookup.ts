// Docker's node lookup: full ID, then exact name (the hostname), then a
// unique ID prefix (moby daemon/cluster/helpers.go getNode).
import { InvalidArgumentError, NotFoundError, referenceMatches, type NodeObject } from '@shoal/store';

export function nodeName(node: NodeObject): string {
  return node.spec.name || node.description.hostname;
}

export function findNode(nodes: readonly NodeObject[], input: string): NodeObject {
  // swarmkit's node name index is the hostname.
  const matches = referenceMatches(nodes, input, (n, name) => n.description.hostname === name);
  if (matches.length === 0) throw new NotFoundError(`node ${input} not found`);
  if (matches.length > 1) throw new InvalidArgumentError(`node ${input} is ambiguous (${matches.length} matches found)`);
  return matches[0] as NodeObject;
}
