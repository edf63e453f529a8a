// Pure helpers of the process runtime: /proc parsing, launch planning, env, nginx config.
import { describe, expect, it } from 'vitest';
import type { TaskRuntimeSpec } from '../types';
import { planLaunch, taskEnv } from './launch';
import { nginxConfig, nginxIndexHtml, supportsErrorLogFlag } from './nginx';
import { exitStatus } from './task-process';
import { parseProcStat, shimProgram, SHIM_NAME, type ProcView } from './proc';

const spec: TaskRuntimeSpec = {
  taskId: 't1',
  serviceId: 's1',
  serviceName: 'web',
  nodeId: 'n1',
  nodeHostname: 'node-one',
  image: 'busybox',
};
const ctx = { whoamiScript: '/opt/whoami.js', nginxPath: '/no/such/nginx', envPath: '/usr/bin:/bin' };

/** A fake /proc: argv and state per PID, children by parent; a missing PID is a gone process. */
function fakeProc(procs: Record<number, { argv: string[]; state?: string; child?: number }>): ProcView {
  const get = (pid: number): { argv: string[]; state?: string; child?: number } => {
    const p = procs[pid];
    if (!p) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return p;
  };
  return { argv: (pid) => get(pid).argv, firstChild: (pid) => get(pid).child, state: (pid) => procs[pid]?.state ?? (procs[pid] ? 'S' : undefined) };
}

describe('shimProgram', () => {
  const shimArgv = ['/bin/sh', '-c', 'trap …', SHIM_NAME, '--', '/usr/bin/sleep', '30'];
  const at = (child: { argv: string[]; state?: string } | undefined): ReturnType<typeof shimProgram> =>
    shimProgram(10, fakeProc({ 10: { argv: shimArgv, ...(child ? { child: 11 } : {}) }, ...(child ? { 11: child } : {}) }));

  it('is starting until the child has exec\'d past sh and env, then running with its PID', () => {
    expect(at(undefined)).toEqual({ state: 'starting' });
    expect(at({ argv: shimArgv })).toEqual({ state: 'starting' }); // forked, not yet exec'd
    expect(at({ argv: ['/usr/bin/env', '--default-signal', '--', '/usr/bin/sleep', '30'] })).toEqual({ state: 'starting' });
    expect(at({ argv: ['/usr/bin/sleep', '30'] })).toEqual({ state: 'running', pid: 11 });
  });

  it('takes a child in the middle of an exec (no argv yet) for starting, a reaped-to-be one for run', () => {
    // The race a CI run hit: read between the kernel's swap of address space and its copy of argv,
    // the child looked like the program while env had not yet reset the signals sh ignores.
    expect(at({ argv: [] })).toEqual({ state: 'starting' });
    expect(at({ argv: [], state: 'Z' })).toEqual({ state: 'running', pid: 11 });
  });

  it('takes a shim in the middle of its own exec for starting, and tells a gone or foreign process', () => {
    expect(shimProgram(10, fakeProc({ 10: { argv: [] } }))).toEqual({ state: 'starting' });
    expect(shimProgram(10, fakeProc({ 10: { argv: [], state: 'Z' } }))).toEqual({ state: 'gone' });
    expect(shimProgram(10, fakeProc({}))).toEqual({ state: 'gone' });
    expect(shimProgram(10, fakeProc({ 10: { argv: ['/usr/bin/sleep', '30'] } }))).toEqual({ state: 'not-a-shim' });
    expect(shimProgram(10, fakeProc({ 10: { argv: shimArgv, state: 'Z' } }))).toEqual({ state: 'gone' });
  });
});

describe('parseProcStat', () => {
  it('reads state, group and start time, even with a ") " in the command name', () => {
    const line = '4242 (evil) (name) S 1 4242 4242 0 -1 4194560 95 0 0 0 0 0 0 0 20 0 1 0 987654 2449408 222 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ state: 'S', ppid: 1, pgrp: 4242, session: 4242, startTime: '987654' });
    expect(parseProcStat('garbage')).toBeNull();
  });
});

describe('planLaunch', () => {
  it('execs command + args directly (Docker entrypoint + cmd)', () => {
    expect(planLaunch({ ...spec, command: ['/bin/sh', '-c'], args: ['echo hi'] }, ctx)).toEqual({
      kind: 'command',
      file: '/bin/sh',
      args: ['-c', 'echo hi'],
    });
    expect(planLaunch({ ...spec, args: ['sleep', '1'] }, ctx)).toMatchObject({ file: 'sleep', args: ['1'] });
  });

  it('runs the built-in program of a known image without a command', () => {
    expect(planLaunch({ ...spec, image: 'shoal/whoami:v2' }, ctx)).toEqual({
      kind: 'whoami',
      file: process.execPath,
      args: ['/opt/whoami.js'],
    });
    expect(planLaunch({ ...spec, image: 'nginx', args: ['sh', '-c', 'x'] }, ctx)).toMatchObject({ file: 'sh' });
  });

  it('fails as Docker does without a command, and clearly without nginx', () => {
    expect(() => planLaunch(spec, ctx)).toThrow('no command specified');
    expect(() => planLaunch({ ...spec, image: 'nginx:latest' }, ctx)).toThrow('nginx is not installed on this node');
    expect(() => planLaunch({ ...spec, command: ['x'], workdir: 'rel' }, ctx)).toThrow(/absolute path/);
  });
});

describe('taskEnv', () => {
  it('starts clean, lets the spec override defaults but not PORT or SHOAL_*', () => {
    const env = taskEnv({
      spec: { ...spec, slot: 3, env: ['PATH=/custom', 'PORT=1', 'A=b=c', 'BARE'] },
      port: 20001,
      home: '/state/t1/work',
      listenHost: '0.0.0.0',
      envPath: undefined,
    });
    expect(env).toMatchObject({
      PATH: '/custom',
      HOME: '/state/t1/work',
      A: 'b=c',
      PORT: '20001',
      SHOAL_TASK_ID: 't1',
      SHOAL_SERVICE_ID: 's1',
      SHOAL_SERVICE_NAME: 'web',
      SHOAL_TASK_SLOT: '3',
      SHOAL_NODE_ID: 'n1',
      SHOAL_NODE_HOSTNAME: 'node-one',
      SHOAL_LISTEN_HOST: '0.0.0.0',
    });
    expect(env).not.toHaveProperty('BARE');
  });
});

describe('nginx', () => {
  it('generates a config that keeps every path inside the task dir', () => {
    const conf = nginxConfig({ dir: '/state/t1', port: 20001, listenHost: '0.0.0.0' });
    expect(conf).toContain('daemon off;');
    expect(conf).toContain('pid "/state/t1/nginx.pid";');
    expect(conf).toContain('error_log stderr notice;');
    expect(conf).toContain('access_log /dev/stdout;');
    expect(conf).toContain('listen 0.0.0.0:20001;');
    expect(conf).toContain('client_body_temp_path "/state/t1/nginx/client_body";');
    expect(nginxConfig({ dir: '/d', port: 1, listenHost: '::' })).toContain('listen [::]:1;');
  });

  it('serves a page naming the task and node, escaped', () => {
    const html = nginxIndexHtml({ ...spec, nodeHostname: '<b>' });
    expect(html).toContain('Task: t1');
    expect(html).toContain('Node: &#60;b&#62;');
  });

  it('knows which versions take -e', () => {
    expect(supportsErrorLogFlag('nginx version: nginx/1.18.0')).toBe(false);
    expect(supportsErrorLogFlag('nginx version: nginx/1.19.5')).toBe(true);
    expect(supportsErrorLogFlag('nginx version: nginx/1.24.0 (Ubuntu)')).toBe(true);
    expect(supportsErrorLogFlag('')).toBe(false);
  });
});

describe('exitStatus', () => {
  it('gives 128+n for a signal death, as Docker does', () => {
    expect(exitStatus(0, null)).toEqual({ exitCode: 0, signal: null });
    expect(exitStatus(null, 'SIGKILL')).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    expect(exitStatus(null, 'SIGTERM')).toEqual({ exitCode: 143, signal: 'SIGTERM' });
  });
});
