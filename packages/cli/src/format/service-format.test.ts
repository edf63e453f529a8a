import type { PortConfig, PortProtocol, Service, ServiceEndpoint } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import { displayImage, imageWithTag } from './image-ref';
import { formatServiceList, formatServicePorts, serviceListFormat } from './service-format';

// docker/cli cli/command/service/formatter_test.go TestServiceContextWrite
function svc(id: string, name: string, mode: Service['Spec']['Mode'], status: [number, number, number?], patch: Partial<Service> = {}, maxReplicas = 0): Service {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Name: name, TaskTemplate: maxReplicas > 0 ? { Placement: { MaxReplicas: maxReplicas } } : {}, ...(mode === undefined ? {} : { Mode: mode }) },
    ServiceStatus: { RunningTasks: status[0], DesiredTasks: status[1], CompletedTasks: status[2] ?? 0 },
    ...patch,
  };
}
const ingress = (published: number, target: number, protocol: 'tcp' | 'udp'): ServiceEndpoint => ({
  Spec: {},
  Ports: [{ PublishMode: 'ingress', PublishedPort: published, TargetPort: target, Protocol: protocol }],
});
const SERVICES: Service[] = [
  svc('01_baz', 'baz', { Global: {} }, [1, 3], { Endpoint: ingress(80, 8080, 'tcp') }),
  svc('02_bar', 'bar', { Replicated: {} }, [2, 4], { Endpoint: ingress(80, 8090, 'udp') }),
  svc('03_qux10', 'qux10', { Replicated: {} }, [2, 3], {}, 1),
  svc('04_qux2', 'qux2', { Replicated: {} }, [3, 3], {}, 2),
  svc('05_job1', 'zarp1', { ReplicatedJob: { MaxConcurrent: 3, TotalCompletions: 10 } }, [2, 3, 5]),
  svc('06_job2', 'zarp2', { GlobalJob: {} }, [1, 1, 3]),
];

describe('service ls table', () => {
  it('matches docker TestServiceContextWrite (table)', () => {
    expect(formatServiceList(serviceListFormat('table', false), SERVICES)).toBe(
      `ID         NAME      MODE             REPLICAS               IMAGE     PORTS
02_bar     bar       replicated       2/4                              *:80->8090/udp
01_baz     baz       global           1/3                              *:80->8080/tcp
04_qux2    qux2      replicated       3/3 (max 2 per node)             
03_qux10   qux10     replicated       2/3 (max 1 per node)             
05_job1    zarp1     replicated job   2/3 (5/10 completed)             
06_job2    zarp2     global job       1/1 (3/4 completed)              
`,
    );
  });

  it('matches docker for -q, custom tables and raw', () => {
    expect(formatServiceList(serviceListFormat('table', true), SERVICES)).toBe('02_bar\n01_baz\n04_qux2\n03_qux10\n05_job1\n06_job2\n');
    expect(formatServiceList(serviceListFormat('table {{.Name}}\t{{.Mode}}', false), SERVICES)).toBe(
      'NAME      MODE\nbar       replicated\nbaz       global\nqux2      replicated\nqux10     replicated\nzarp1     replicated job\nzarp2     global job\n',
    );
    // docker/cli cli/command/service/testdata/service-context-write-raw.golden (first two entries)
    expect(formatServiceList(serviceListFormat('raw', false), SERVICES)).toMatch(
      /^id: 02_bar\nname: bar\nmode: replicated\nreplicas: 2\/4\nimage: \nports: \*:80->8090\/udp\n\nid: 01_baz\nname: baz\nmode: global\nreplicas: 1\/3\nimage: \nports: \*:80->8080\/tcp\n\n/,
    );
    // The context marshals itself with json.Marshal (HTML escaped); a field through `json` is not (as the docker CLI prints).
    expect(formatServiceList('{{json .}}', SERVICES.slice(0, 1))).toBe(
      '{"ID":"01_baz","Image":"","Mode":"global","Name":"baz","Ports":"*:80-\\u003e8080/tcp","Replicas":"1/3"}\n',
    );
    expect(formatServiceList('json', SERVICES.slice(0, 1))).toContain('"Ports":"*:80-\\u003e8080/tcp"');
    expect(formatServiceList('{{json .Ports}}', SERVICES.slice(0, 1))).toBe('"*:80->8080/tcp"\n');
  });

  it('truncates IDs to 12 characters and shows images without digest', () => {
    const s = svc('iw4xnjtk9z3sc9iasa7a5i1il', 'repro-41364', { Replicated: { Replicas: 1 } }, [1, 1], { Endpoint: ingress(10083, 80, 'tcp') });
    s.Spec.TaskTemplate.ContainerSpec = { Image: 'nginx:alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' };
    expect(formatServiceList(serviceListFormat('table', false), [s])).toBe(
      'ID             NAME          MODE         REPLICAS   IMAGE          PORTS\n' +
        'iw4xnjtk9z3s   repro-41364   replicated   1/1        nginx:alpine   *:10083->80/tcp\n',
    );
  });
});

describe('published ports', () => {
  it('collapses consecutive ranges as docker TestServiceContext_Ports', () => {
    const p = (protocol: PortProtocol, target: number, published: number): PortConfig => ({
      Protocol: protocol,
      TargetPort: target,
      PublishedPort: published,
      PublishMode: 'ingress',
    });
    const ports = [
      p('tcp', 80, 81), p('tcp', 80, 80), p('tcp', 95, 95), p('tcp', 90, 90), p('tcp', 91, 91), p('tcp', 92, 92),
      p('tcp', 93, 93), p('tcp', 94, 94), p('udp', 95, 95), p('udp', 90, 90), p('udp', 96, 96), p('udp', 91, 91),
      p('udp', 92, 92), p('udp', 93, 93), p('udp', 94, 94), p('tcp', 60, 60), p('tcp', 61, 61), p('tcp', 61, 62),
      p('sctp', 97, 97), p('sctp', 98, 98),
    ];
    expect(formatServicePorts(ports)).toBe(
      '*:97-98->97-98/sctp, *:60-61->60-61/tcp, *:62->61/tcp, *:80-81->80/tcp, *:90-95->90-95/tcp, *:90-96->90-96/udp',
    );
  });

  it('shows only ingress ports, nothing without ports', () => {
    expect(formatServicePorts(undefined)).toBe('');
    expect(formatServicePorts([{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }])).toBe('');
    expect(
      formatServicePorts([
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 80, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 443, PublishedPort: 443, PublishMode: 'ingress' },
      ]),
    ).toBe('*:80->80/tcp, *:443->443/tcp');
  });
});

describe('image references', () => {
  it('tags untagged images as the docker client does', () => {
    expect(imageWithTag('nginx')).toBe('nginx:latest');
    expect(imageWithTag('docker.io/library/nginx')).toBe('nginx:latest');
    expect(imageWithTag('shoal/whoami:1.2')).toBe('shoal/whoami:1.2');
    expect(imageWithTag('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(imageWithTag('nginx@sha256:0123456789abcdef0123456789abcdef')).toBe('nginx@sha256:0123456789abcdef0123456789abcdef');
    expect(imageWithTag('NGINX')).toBe('NGINX');
  });

  it('drops the digest of a tagged image for display only', () => {
    expect(displayImage('nginx:1.25@sha256:0123456789abcdef0123456789abcdef')).toBe('nginx:1.25');
    expect(displayImage('nginx@sha256:0123456789abcdef0123456789abcdef')).toBe('nginx@sha256:0123456789abcdef0123456789abcdef');
    expect(displayImage('docker.io/library/redis:7')).toBe('redis:7');
  });
});
