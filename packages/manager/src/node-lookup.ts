// Docker's node lookup: full ID, then exact name (spec name or hostname), then a
// unique ID prefix (moby daemon/cluster/helpers.go getNode).
import { InvalidArgumentError, NotFoundError, type NodeObject } from '@shoal/store';

export function nodeName(node: NodeObject): string {
  return node.spec.name || node.description.hostname;
}

export function findNode(nodes: readonly NodeObject[], input: string): NodeObject {
  const exact = nodes.find((n) => n.id === input);
  if (exact) return exact;
  let matches = nodes.filter((n) => n.spec.name === input || n.description.hostname === input);
  if (matches.length === 0 && input !== '') matches = nodes.filter((n) => n.id.startsWith(input));
  if (matches.length === 0) throw new NotFoundError(`node ${input} not found`);
  if (matches.length > 1) throw new InvalidArgumentError(`node ${input} is ambiguous (${matches.length} matches found)`);
  return matches[0] as NodeObject;
}
