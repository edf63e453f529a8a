import type { Service } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import { prettyService } from './service-pretty';

const NOW = Date.parse('2024-05-01T12:00:00Z');

// The service of docker/cli cli/command/service/inspect_test.go formatServiceInspect.
function dockerTestService(): Service {
  return {
    ID: 'de179gar9d0o7ltdybungplod',
    Version: { Index: 315 },
    CreatedAt: '2024-05-01T12:00:00Z',
    UpdatedAt: '2024-05-01T12:00:00Z',
    Spec: {
      Name: 'my_service',
      Labels: { 'com.label': 'foo' },
      TaskTemplate: {
        LogDriver: { Name: 'driver', Options: { 'max-file': '5' } },
        ContainerSpec: {
          Image: 'foo/bar@sha256:this_is_a_test',
          Configs: [{ ConfigID: 'mtc3i44r1awdoziy2iceg73z8', ConfigName: 'configtest.conf', File: { Name: '/configtest.conf', UID: '', GID: '', Mode: 0 } }],
          Secrets: [{ SecretID: '3hv39ehbbb4hdozo7spod9ftn', SecretName: 'secrettest.conf', File: { Name: '/secrettest.conf', UID: '', GID: '', Mode: 0 } }],
          Healthcheck: { Test: ['CMD-SHELL', 'curl'], Interval: 4, Retries: 3, StartPeriod: 2, Timeout: 1 },
        },
        Resources: { Limits: { NanoCPUs: 100000000000, MemoryBytes: 10490000, Pids: 20 } },
        Networks: [{ Target: '5vpyomhb6ievnk0i0o60gcnei', Aliases: ['web'] }],
      },
      Mode: { Replicated: { Replicas: 2 } },
      EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 5000 }] },
    },
    Endpoint: {
      Spec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 5000 }] },
      Ports: [{ Protocol: 'tcp', TargetPort: 5000, PublishedPort: 30000 }],
      VirtualIPs: [{ NetworkID: '6o4107cj2jx9tihgb0jyts6pj', Addr: '10.255.0.4/16' }],
    },
    UpdateStatus: { StartedAt: '2024-05-01T12:00:00Z', CompletedAt: '2024-05-01T12:00:00Z' },
  };
}

// docker/cli cli/command/service/testdata/service-inspect-pretty.golden
const GOLDEN = `
ID:\t\tde179gar9d0o7ltdybungplod
Name:\t\tmy_service
Labels:
 com.label=foo
Service Mode:\tReplicated
 Replicas:\t2
Placement:
ContainerSpec:
 Image:\t\tfoo/bar@sha256:this_is_a_test
Configs:
 Target:\t/configtest.conf
  Source:\tconfigtest.conf
Secrets:
 Target:\t/secrettest.conf
  Source:\tsecrettest.conf
Log Driver:
 Name:\t\tdriver
 LogOpts:
  max-file:       5

Resources:
 Limits:
  CPU:\t\t100
  Memory:\t10MiB
  PIDs:\t\t20
Networks: mynetwork 
Endpoint Mode:\tvip
Ports:
 PublishedPort = 30000
  Protocol = tcp
  TargetPort = 5000
  PublishMode =  
 Healthcheck:
  Interval = 4ns
  Retries = 3
  StartPeriod =\t2ns
  Timeout =\t1ns
  Tests:
\t Test = CMD-SHELL
\t Test = curl 

`;

describe('service inspect --pretty', () => {
  it('matches docker golden service-inspect-pretty byte for byte', () => {
    const names = new Map([['5vpyomhb6ievnk0i0o60gcnei', 'mynetwork']]);
    expect(prettyService(dockerTestService(), names, NOW)).toBe(GOLDEN);
  });

  it('shows update status, placement, update config and container details', () => {
    const s = dockerTestService();
    s.UpdateStatus = { State: 'completed', StartedAt: '2024-05-01T11:58:00Z', CompletedAt: '2024-05-01T11:59:30Z', Message: 'update completed' };
    s.Spec.TaskTemplate.Placement = { Constraints: ['node.role==manager', 'node.labels.zone==east'], MaxReplicas: 2 };
    s.Spec.UpdateConfig = { Parallelism: 1, Delay: 10e9, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0.1, Order: 'stop-first' };
    s.Spec.TaskTemplate.ContainerSpec = { Image: 'nginx:latest', Args: ['nginx', '-g', 'daemon off;'], Env: ['A=1'], Dir: '/srv', Init: false };
    s.Spec.TaskTemplate.Resources = { Limits: {}, Reservations: { NanoCPUs: 500000000, MemoryBytes: 64 * 1024 * 1024 } };
    delete s.Spec.TaskTemplate.LogDriver;
    const out = prettyService(s, new Map(), NOW);
    expect(out).toContain(
      'UpdateStatus:\n State:\t\tcompleted\n Started:\t2 minutes ago\n Completed:\t30 seconds ago\n Message:\tupdate completed\n' +
        'Placement:\n Constraints:\t[node.role==manager node.labels.zone==east]\n Max Replicas Per Node:   2\n' +
        'UpdateConfig:\n Parallelism:\t1\n Delay:\t\t10s\n On failure:\tpause\n Monitoring Period: 5s\n Max failure ratio: 0.1\n Update order:      stop-first\n' +
        'ContainerSpec:\n Image:\t\tnginx:latest\n Args:\t\tnginx -g daemon off; \n Env:\t\tA=1 \n Dir:\t\t/srv\n Init:\t\tfalse\n' +
        'Resources:\n Reservations:\n  CPU:\t\t0.5\n  Memory:\t64MiB\n' +
        'Networks: 5vpyomhb6ievnk0i0o60gcnei \n',
    );
  });
});
