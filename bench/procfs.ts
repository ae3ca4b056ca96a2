// What Linux tells about a process and the machine: CPU time (utime+stime), peak and current
// RSS, and a reset of the peak (clear_refs 5) so one phase's peak can be read on its own.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try { clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { clkTck = 100; }
  }
  return clkTck;
}

/** CPU time the process has used so far (user + system), in microseconds. */
export const cpuMicros = (pid: number): number => statCpuMicros(`/proc/${pid}/stat`);
/** CPU time of the process's main thread alone (the JavaScript thread); the rest is GC helpers, compilers, libuv's pool. */
export const mainThreadCpuMicros = (pid: number): number => statCpuMicros(`/proc/${pid}/task/${pid}/stat`);

function statCpuMicros(file: string): number {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / ticksPerSecond();
}

function statusKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
/** Peak resident set size (VmHWM) in bytes. */
export const peakRss = (pid: number): number => statusKb(pid, 'VmHWM') * 1024;
/** Current resident set size (VmRSS) in bytes. */
export const currentRss = (pid: number): number => statusKb(pid, 'VmRSS') * 1024;

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, own children). False if the kernel refused. */
export function resetPeakRss(pid: number): boolean {
  try { writeFileSync(`/proc/${pid}/clear_refs`, '5'); return true; } catch { return false; }
}

export interface MachineCpu {
  /** CPU time of processes (user + nice + system), all cores, µs. */
  processUs: number;
  /** Interrupt and softirq time (loopback TCP is mostly here, charged to no process), µs. */
  irqUs: number;
  /** Time the hypervisor ran something else while this machine's cores wanted to run (steal), µs. */
  stealUs: number;
  /** All time including idle, all cores, µs. */
  totalUs: number;
}
/** Aggregate CPU time of the machine (from /proc/stat), to tell what else ran during a window. */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const us = 1e6 / ticksPerSecond();
  return {
    processUs: (user + nice + system) * us,
    irqUs: ((irq ?? 0) + (softirq ?? 0)) * us,
    stealUs: (steal ?? 0) * us,
    // guest time is already counted in user/nice: only these eight fields add up to the total.
    totalUs: (user + nice + system + idle + (iowait ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * us,
  };
}
export function busyFraction(before: MachineCpu, after: MachineCpu): number {
  const total = after.totalUs - before.totalUs;
  const busy = after.processUs + after.irqUs - before.processUs - before.irqUs;
  return total > 0 ? busy / total : NaN;
}
