import { describe, expect, it } from 'vitest';
import { asManager, buildInfo, buildNode } from '../test-support/builders';
import { DEFAULT_NODE_TABLE_FORMAT, formatNodeList, nodeRow, prettyNode } from './node-format';

// docker/cli cli/command/node/testdata/node-list-sort.golden
const NODE_LIST_SORT_GOLDEN =
  'ID          HOSTNAME      STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n' +
  'nodeID3     node-1-foo    Ready     Active                          1.13.0\n' +
  'nodeID1 *   node-2-foo    Ready     Active         Leader           .\n' +
  'nodeID2     node-10-foo   Ready     Active         Reachable        18.03.0-ce\n';

const PRETTY_TAIL =
  'Platform:\n Operating System:\tlinux\n Architecture:\t\tx86_64\n' +
  'Resources:\n CPUs:\t\t\t0\n Memory:\t\t20MiB\n' +
  'Plugins:\n Network:\t\tbridge, overlay\n Volume:\t\tlocal\n' +
  'Engine Version:\t\t1.13.0\nEngine Labels:\n - engine=label\n';

const PRETTY_HEAD = (labels: string): string =>
  `ID:\t\t\tnodeID\nName:\t\t\tdefaultNodeName\n${labels}` +
  'Hostname:              \tdefaultNodeHostname\n' +
  'Joined at:             \t2009-11-10 23:00:00 +0000 utc\n' +
  'Status:\n State:\t\t\tReady\n Availability:         \tActive\n Address:\t\t127.0.0.1\n';

describe('node ls table', () => {
  it('matches docker golden node-list-sort byte for byte', () => {
    const nodes = [
      buildNode((n) => {
        n.ID = 'nodeID1';
        n.Description.Hostname = 'node-2-foo';
        asManager(true)(n);
        n.Description.Engine.EngineVersion = '.';
      }),
      buildNode((n) => {
        n.ID = 'nodeID2';
        n.Description.Hostname = 'node-10-foo';
        asManager()(n);
        n.Description.Engine.EngineVersion = '18.03.0-ce';
      }),
      buildNode((n) => {
        n.ID = 'nodeID3';
        n.Description.Hostname = 'node-1-foo';
      }),
    ];
    expect(formatNodeList(DEFAULT_NODE_TABLE_FORMAT, nodes, buildInfo('nodeID1'))).toBe(NODE_LIST_SORT_GOLDEN);
  });

  it('keeps full IDs and pads the self marker column', () => {
    const id = 'k3xpb8kq5w1zq2z0vgjv7h9ex';
    const out = formatNodeList(DEFAULT_NODE_TABLE_FORMAT, [buildNode((n) => (n.ID = id))], buildInfo('other'));
    expect(out.split('\n')[1]).toBe(`${id}     defaultNodeHostname   Ready     Active                          1.13.0`);
  });

  it('prints only the header for no nodes', () => {
    expect(formatNodeList(DEFAULT_NODE_TABLE_FORMAT, [], undefined)).toBe(
      'ID        HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n',
    );
  });

  it('renders custom and json formats (docker goldens node-list-format-*)', () => {
    const nodes = [
      buildNode((n) => {
        n.ID = 'nodeID1';
        n.Description.Hostname = 'nodeHostname1';
        asManager(true)(n);
      }),
      buildNode((n) => {
        n.ID = 'nodeID2';
        n.Description.Hostname = 'nodeHostname2';
        asManager()(n);
      }),
      buildNode((n) => {
        n.ID = 'nodeID3';
        n.Description.Hostname = 'nodeHostname3';
      }),
    ];
    const info = buildInfo('nodeID1');
    expect(formatNodeList('{{.ID}}: {{.Hostname}} {{.Status}}/{{.ManagerStatus}}', nodes, info)).toBe(
      'nodeID1: nodeHostname1 Ready/Leader\nnodeID2: nodeHostname2 Ready/Reachable\nnodeID3: nodeHostname3 Ready/\n',
    );
    expect(formatNodeList('json', nodes.slice(2), info)).toBe(
      '{"Availability":"Active","EngineVersion":"1.13.0","Hostname":"nodeHostname3","ID":"nodeID3","ManagerStatus":"","Self":false,"Status":"Ready","TLSStatus":"Unknown"}\n',
    );
    expect(formatNodeList('table {{.Hostname}}\t{{.TLSStatus}}', nodes.slice(0, 1), info)).toBe(
      'HOSTNAME        TLS STATUS\nnodeHostname1   Unknown\n',
    );
  });

  it('derives manager status and TLS status', () => {
    const down = buildNode((n) => {
      asManager()(n);
      n.ManagerStatus = { Reachability: 'unreachable', Addr: 'x' };
      n.Status.State = 'down';
      n.Description.TLSInfo = { TrustRoot: 'a', CertIssuerSubject: 'b', CertIssuerPublicKey: 'c' };
    });
    const info = buildInfo('x');
    info.Swarm.Cluster = {
      ID: 'c',
      Version: { Index: 1 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: {},
      TLSInfo: { TrustRoot: 'a', CertIssuerSubject: 'b', CertIssuerPublicKey: 'c' },
      RootRotationInProgress: false,
    };
    expect(nodeRow(down, info)).toMatchObject({ ManagerStatus: 'Unreachable', Status: 'Down', TLSStatus: 'Ready' });
  });
});

describe('node inspect --pretty', () => {
  it('matches docker golden node-inspect-pretty.simple', () => {
    const node = buildNode((n) => (n.Spec.Labels = { lbl1: 'value1' }));
    expect(prettyNode(node)).toBe(PRETTY_HEAD('Labels:\n - lbl1=value1\n') + PRETTY_TAIL);
  });

  it('matches docker goldens for managers and leaders', () => {
    const status = (leader: string): string =>
      `Manager Status:\n Address:\t\t127.0.0.1\n Raft Status:\t\tReachable\n Leader:\t\t${leader}\n`;
    expect(prettyNode(buildNode(asManager()))).toBe(PRETTY_HEAD('') + status('No') + PRETTY_TAIL);
    expect(prettyNode(buildNode(asManager(true)))).toBe(PRETTY_HEAD('') + status('Yes') + PRETTY_TAIL);
  });

  it('adds the status message and TLS info when present', () => {
    const node = buildNode((n) => {
      n.Status.Message = 'heartbeat failure';
      n.Description.TLSInfo = { TrustRoot: '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n', CertIssuerSubject: 'c3Vi', CertIssuerPublicKey: 'a2V5' };
    });
    const out = prettyNode(node);
    expect(out).toContain(' State:\t\t\tReady\n Message:              \tHeartbeat failure\n Availability:');
    expect(out.endsWith('TLS Info:\n TrustRoot:\n-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n\n Issuer Subject:\tc3Vi\n Issuer Public Key:\ta2V5\n')).toBe(true);
  });
});
