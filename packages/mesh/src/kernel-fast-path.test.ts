import { describe, expect, it } from 'vitest';
import type { MeshEndpoint, PublishedPort } from './endpoints';
import { KernelFastPath, fastPathChain, planFastPath } from './kernel-fast-path';
import type { CommandRunner } from './kernel-fast-path';

const web: PublishedPort = { published: 8080, target: 80, protocol: 'tcp', mode: 'ingress' };

function ep(taskId: string, nodeId: string, port: number, over: Partial<MeshEndpoint> = {}): MeshEndpoint {
  return {
    serviceId: 's1',
    serviceName: 'web',
    taskId,
    nodeId,
    nodeAddr: nodeId === 'A' ? '10.0.0.1' : '10.0.0.2',
    port,
    publishedPorts: [web],
    state: 'running',
    ...over,
  };
}

const CHAIN = 'SHOAL-ING-TEST';

describe('planFastPath', () => {
  it('gives each local endpoint one of every n new connections, by task order, and leaves the rest to userspace', () => {
    const plan = planFastPath(CHAIN, '10.0.0.1', 'A', [ep('t3', 'A', 3003), ep('t1', 'A', 3001), ep('t2', 'B', 3002), ep('t4', 'B', 3004)]);
    expect([...plan.ports]).toEqual([8080]);
    expect(plan.rules).toEqual([
      `-A ${CHAIN} -d 10.0.0.1/32 -p tcp -m tcp --dport 8080 -m statistic --mode nth --every 4 --packet 0 -m comment --comment "web t1" -j DNAT --to-destination 10.0.0.1:3001`,
      `-A ${CHAIN} -d 10.0.0.1/32 -p tcp -m tcp --dport 8080 -m statistic --mode nth --every 3 --packet 0 -m comment --comment "web t3" -j DNAT --to-destination 10.0.0.1:3003`,
    ]);
  });

  it('makes the last rule unconditional when every endpoint is local', () => {
    const plan = planFastPath(CHAIN, '10.0.0.1', 'A', [ep('t1', 'A', 3001), ep('t2', 'A', 3002)]);
    expect(plan.rules[0]).toContain('--every 2 --packet 0');
    expect(plan.rules[1]).not.toContain('statistic');
    expect(plan.rules[1]).toContain('--to-destination 10.0.0.1:3002');
  });

  it('counts only running endpoints and serves no port without a local one', () => {
    const draining = ep('t1', 'A', 3001, { state: 'draining' });
    const plan = planFastPath(CHAIN, '10.0.0.1', 'A', [draining, ep('t2', 'B', 3002)]);
    expect(plan.ports.size).toBe(0);
    expect(plan.rules).toEqual([]);
  });

  it('leaves PROXY-protocol ports, host-mode and UDP ports to userspace or the task', () => {
    const proxied: PublishedPort = { ...web, published: 8443, proxyProtocol: true };
    const host: PublishedPort = { ...web, published: 9000, mode: 'host' };
    const udp: PublishedPort = { ...web, published: 5353, protocol: 'udp' };
    const plan = planFastPath(CHAIN, '10.0.0.1', 'A', [ep('t1', 'A', 3001, { publishedPorts: [web, proxied, host, udp] })]);
    expect([...plan.ports]).toEqual([8080]);
  });
});

describe('KernelFastPath', () => {
  function fakeIptables(): { run: CommandRunner; calls: string[]; restores: string[] } {
    const calls: string[] = [];
    const restores: string[] = [];
    const run: CommandRunner = (command, args, stdin) => {
      calls.push(`${command} ${args.join(' ')}`);
      if (command === 'iptables-restore') restores.push(stdin ?? '');
      // Deleting what does not exist fails, as iptables does.
      if (args.includes('-D') || args.includes('-X') || args.includes('-F')) return Promise.reject(new Error('No chain/target/match by that name.'));
      return Promise.resolve('');
    };
    return { run, calls, restores };
  }

  it('installs an empty chain with jumps from PREROUTING and OUTPUT, then applies only the newest of a burst', async () => {
    const ipt = fakeIptables();
    const fp = await KernelFastPath.start({ nodeAddr: '10.0.0.1', nodeId: 'A', run: ipt.run });
    expect(fp).not.toBeNull();
    const chain = fastPathChain('10.0.0.1');
    expect(ipt.calls).toContain(`iptables -w -t nat -I PREROUTING -d 10.0.0.1/32 -p tcp -j ${chain}`);
    expect(ipt.calls).toContain(`iptables -w -t nat -I OUTPUT -d 10.0.0.1/32 -p tcp -j ${chain}`);
    expect(ipt.restores).toEqual([`*nat\n:${chain} - [0:0]\nCOMMIT\n`]);

    const first = fp!.update([ep('t1', 'A', 3001)]);
    const second = fp!.update([ep('t1', 'A', 3001), ep('t2', 'A', 3002)]);
    await Promise.all([first.applied, second.applied]);
    // The first update started at once; the second waited for it and went in whole.
    expect(ipt.restores).toHaveLength(3);
    expect(ipt.restores[2]).toContain('10.0.0.1:3002');
    expect([...fp!.servedPorts]).toEqual([8080]);

    const same = fp!.update([ep('t1', 'A', 3001), ep('t2', 'A', 3002)]);
    await same.applied;
    expect(ipt.restores).toHaveLength(3); // unchanged rules are not rewritten
  });

  it('serves nothing in the kernel after a rule set fails to apply, and empties its chain', async () => {
    const ipt = fakeIptables();
    let failRestores = 0;
    const run: CommandRunner = (command, args, stdin) => {
      if (command === 'iptables-restore' && stdin?.includes('DNAT') && failRestores-- > 0) return Promise.reject(new Error('Resource temporarily unavailable'));
      return ipt.run(command, args, stdin);
    };
    const fp = await KernelFastPath.start({ nodeAddr: '10.0.0.1', nodeId: 'A', run });
    failRestores = 1; // one refusal is retried
    await fp!.update([ep('t1', 'A', 3001)]).applied;
    expect([...fp!.servedPorts]).toEqual([8080]);
    failRestores = 3; // three are not
    await fp!.update([ep('t1', 'A', 3001), ep('t2', 'A', 3002)]).applied;
    expect(fp!.servedPorts.size).toBe(0);
    expect(ipt.restores.at(-1)).not.toContain('DNAT');
    failRestores = 0;
    await fp!.update([ep('t1', 'A', 3001), ep('t2', 'A', 3002)]).applied;
    expect([...fp!.servedPorts]).toEqual([8080]);
  });

  it('applies rules after a first table that needed none (nothing to write)', async () => {
    const ipt = fakeIptables();
    const fp = await KernelFastPath.start({ nodeAddr: '10.0.0.1', nodeId: 'A', run: ipt.run });
    await fp!.update([]).applied;
    await fp!.update([ep('t2', 'B', 3002)]).applied;
    await fp!.update([ep('t1', 'A', 3001), ep('t2', 'B', 3002)]).applied;
    expect(ipt.restores.at(-1)).toContain('--to-destination 10.0.0.1:3001');
    expect([...fp!.servedPorts]).toEqual([8080]);
  });

  it('falls back to userspace when iptables fails', async () => {
    const run: CommandRunner = (command) => (command === 'iptables-restore' ? Promise.reject(new Error('can\'t initialize iptables table `nat\'')) : Promise.resolve(''));
    expect(await KernelFastPath.start({ nodeAddr: '10.0.0.1', nodeId: 'A', run })).toBeNull();
  });

  it('removes its chain and jumps on close', async () => {
    const ipt = fakeIptables();
    const fp = await KernelFastPath.start({ nodeAddr: '10.0.0.1', nodeId: 'A', run: ipt.run });
    ipt.calls.length = 0;
    await fp!.close();
    const chain = fastPathChain('10.0.0.1');
    expect(ipt.calls).toEqual([
      `iptables -w -t nat -D PREROUTING -d 10.0.0.1/32 -p tcp -j ${chain}`,
      `iptables -w -t nat -D OUTPUT -d 10.0.0.1/32 -p tcp -j ${chain}`,
      `iptables -w -t nat -F ${chain}`,
    ]);
  });
});
