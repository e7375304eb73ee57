// What the benches measure besides req/s and latency: the servers' process CPU (all of it, and its main
// thread's alone), how busy its event loop was, its garbage-collection pauses, and the whole machine's
// busy CPU. Not a bench itself (bench/run.js runs only folders with a run.js).
import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

// CPU time of the main thread alone (ms; Linux /proc, in clock ticks of 10 ms), or null elsewhere: the
// event loop's own cost, without the thread pool and the GC helpers, and without time spent descheduled.
function mainThreadCpuMs() {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * In the servers' process: starts counting garbage-collection pauses (the servers share one heap, so a
 * long pause lands on whichever target runs: it shows in p99) and answers the 'cpu' message of
 * serverUsage with this process's usage so far. The longest pause is reported per interval between two
 * readings (one round).
 */
export function answerUsageRequests() {
  const gc = { count: 0, totalMs: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', (message) => {
    if (message !== 'cpu') return;
    process.send({ ...process.cpuUsage(), mainThread: mainThreadCpuMs(), elu: performance.eventLoopUtilization(), gc: { ...gc } });
    gc.maxMs = 0;
  });
}

/** In run.js: the servers' process usage (CPU in ms: total, system, main thread; event loop; GC), asked of `child`. */
export function serverUsage(child) {
  return new Promise((resolve) => {
    child.once('message', (usage) => resolve({ total: (usage.user + usage.system) / 1000, system: usage.system / 1000, mainThread: usage.mainThread, elu: usage.elu, gc: usage.gc }));
    child.send('cpu');
  });
}

// Busy CPU time of the whole machine (ms; Linux /proc/stat, 10 ms ticks), or null elsewhere: the servers,
// PostgreSQL, Redis, the load generator and anything else running share the cores.
export function machineBusyMs() {
  try {
    // cpu  user nice system idle iowait irq softirq steal ...: everything but idle and iowait.
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) * 10;
  } catch {
    return null;
  }
}

/**
 * Busy CPU time (ms; Linux /proc, 10 ms ticks) of the processes of this machine named `name` (as
 * /proc/<pid>/stat names them: 'postgres', 'redis-server'), or null when none runs here (a remote
 * server, or not Linux). Each process counts its own time and that of its children it has reaped, so a
 * PostgreSQL backend that ends between two readings (a pool closing an idle connection) still counts:
 * its time has moved to the postmaster's.
 */
export function processesBusyMs(name) {
  let ticks = 0;
  let found = false;
  let pids;
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== name) continue;
    const fields = stat.slice(close + 2).split(' ');
    // utime, stime, cutime, cstime (proc(5): fields 14 to 17).
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    found = true;
  }
  return found ? ticks * 10 : null;
}

/** The fraction of the time between two usages that the event loop was busy. */
export function loopBusy(before, after) {
  return (after.elu.active - before.elu.active) / (after.elu.active + after.elu.idle - before.elu.active - before.elu.idle);
}

export function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
