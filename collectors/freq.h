#ifndef COLLECTORS_FREQ_H
#define COLLECTORS_FREQ_H

/* Where the freq collector gets its figures. */
enum freq_source { FREQ_NONE, FREQ_MSR, FREQ_PERF, FREQ_CPUFREQ, FREQ_SYSCTL };
extern const char *const freq_source_names[];

/*
 * Parse FreeBSD's dev.cpu.N.freq_levels ("2400/35000 2200/30000 ...",
 * MHz/milliwatts, -1 for unknown power) into MHz values. Returns the
 * count (the array is the caller's to free) or -1.
 */
int freq_levels_parse(const char *text, double **mhz_out);

#endif
