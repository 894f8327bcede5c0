#ifndef COLLECTORS_CPUSTAT_H
#define COLLECTORS_CPUSTAT_H

#include <stdint.h>

struct json_t;

/*
 * Per-CPU time by state, from Linux /proc/stat or FreeBSD kern.cp_times,
 * as cumulative ticks. Sources differ in which states they report; a
 * state not reported has its bit clear in `have` and comes out as null.
 */
enum cpu_state {
	CPU_USER, CPU_NICE, CPU_SYSTEM, CPU_IDLE, CPU_IOWAIT, CPU_IRQ,
	CPU_SOFTIRQ, CPU_STEAL, CPU_GUEST, CPU_GUEST_NICE, CPU_NSTATES
};
extern const char *const cpu_state_names[CPU_NSTATES];

struct cpu_times {
	uint64_t t[CPU_NSTATES];	/* ticks */
	unsigned have;			/* 1 << state for each reported state */
};

struct cpustat {
	int ncpu;		/* entries in cpu[]: the highest id + 1 */
	struct cpu_times all;	/* the sum over CPUs */
	struct cpu_times *cpu;	/* by CPU id; have == 0: absent (offline) */
	uint64_t intr;		/* interrupts since boot, UINT64_MAX if unknown */
	uint64_t ctxt;		/* context switches since boot, UINT64_MAX if unknown */
};

/*
 * Parse the text of /proc/stat (any kernel: 4 to 10 or more columns).
 * origin names the source in errors ("/proc/stat"). 0 or -1.
 */
int procstat_parse(struct cpustat *out, const char *text, const char *origin);
/*
 * Parse FreeBSD's kern.cp_times as `sysctl kern.cp_times` prints it
 * ("kern.cp_times: u n s i idle u n s i idle ..."; the name is optional).
 */
int cptimes_parse(struct cpustat *out, const char *text, const char *origin);
void cpustat_release(struct cpustat *s);

/*
 * The interval between two readings as JSON: per CPU and for all of
 * them, each state's share of the interval in percent, util_pct (100 -
 * idle - iowait), and busy_cpus (how many CPUs' worth were busy).
 */
struct json_t *cpustat_delta_json(const struct cpustat *now, const struct cpustat *prev,
				  double dt);

#endif
