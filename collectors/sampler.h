#ifndef COLLECTORS_SAMPLER_H
#define COLLECTORS_SAMPLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Sampling with perf_event_open: one event per CPU (per thread and CPU
 * for -p), each with a ring buffer the kernel fills with samples (IP,
 * PID/TID, time, CPU, period) and with the side-band records that say
 * how to read them later: executable mappings (MMAP2), exec and names
 * (COMM), forks and exits, throttling and lost records.
 *
 * Records from all rings are merged in time order (perf's clock is set
 * to CLOCK_MONOTONIC) so that a process's mmap is seen before its
 * samples on another CPU; records newer than the moment a read began
 * wait for the next read, when their peers on other CPUs are in.
 */

/* A ring-buffer record, decoded. Only the fields of its type are set. */
struct perf_rec {
	uint32_t type;		/* PERF_RECORD_* */
	uint16_t misc;		/* PERF_RECORD_MISC_*: cpumode, COMM_EXEC */
	uint32_t pid, tid;	/* process and thread */
	uint32_t cpu;		/* where it happened */
	uint64_t time;		/* ns, CLOCK_MONOTONIC */
	uint64_t ip;		/* SAMPLE: the instruction pointer */
	uint64_t period;	/* SAMPLE: events this sample stands for */
	uint64_t addr, len, pgoff; /* MMAP, MMAP2: range and file offset, bytes */
	uint32_t ppid, ptid;	/* FORK, EXIT: the parent */
	uint64_t lost;		/* LOST, LOST_SAMPLES: records or samples lost */
	const char *name;	/* MMAP file name, COMM name; inside the record */
};

/*
 * Decode one record (header included, len bytes) laid out as the
 * sampler asks the kernel to: sample_type IP|TID|TIME|CPU|PERIOD with
 * sample_id_all. A type it does not know keeps only the header and the
 * trailing sample id. Returns 0, or PERFLAB_EINVAL (quietly) when the
 * record is malformed: too short for its type, a name without its NUL.
 */
int perf_rec_decode(struct perf_rec *out, const void *rec, size_t len);

/* The data area of a ring buffer. */
struct ring_view {
	const unsigned char *data;
	uint64_t size;		/* bytes, a power of two */
};

#define RING_RECORD_MAX 65536	/* bytes: header.size is 16 bits */

/*
 * The record at tail (a free-running byte count, as data_tail), which
 * must end at or before head. A record that wraps around the end of the
 * data area is copied into scratch (RING_RECORD_MAX bytes) and *rec
 * points there; otherwise *rec points into the ring. Returns the record
 * length, 0 when tail == head, or PERFLAB_EINVAL when the bytes at tail
 * are not a record (size under 8, past head, or more than a ring).
 */
long ring_next(const struct ring_view *r, uint64_t head, uint64_t tail,
	       void *scratch, const void **rec);

/* An event as the user names it. */
struct sampler_event {
	const char *name;	/* as given */
	uint32_t type;		/* PERF_TYPE_SOFTWARE, _HARDWARE, _RAW */
	uint64_t config, config1, config2;	/* perf_event_attr.config* */
	int hardware;		/* needs a PMU */
};

/*
 * Parse an event name: software events (cpu-clock, task-clock,
 * page-faults, context-switches, ...), the generic hardware ones
 * (cycles, instructions, cache-misses, ...) and raw ones (r1a2).
 * Returns 0 or -1 with an error listing what is known.
 */
int sampler_event_parse(struct sampler_event *out, const char *name);

struct sampler_opts {
	const char *event;	/* an event name, see sampler_event_parse() */
	double freq;		/* samples per second per CPU; 0: use period */
	uint64_t period;	/* events per sample when freq is 0 */
	const int *cpus;	/* CPUs to sample, ncpus of them; NULL: all online */
	int ncpus;
	pid_t pid;		/* > 0: that process's threads only; else system-wide */
	int follow_exec;	/* sample the children this process starts, from their exec */
	int exclude_idle;	/* no samples of the idle task */
	unsigned ring_pages;	/* data pages per ring, a power of two; 0: 128 */
};

struct sampler;

/*
 * Open the events and map their rings; they start disabled (and with
 * follow_exec they turn on by themselves at a child's exec). A hardware
 * event on a kernel without a PMU fails with PERFLAB_ENOPMU after an
 * error naming the event and suggesting cpu-clock.
 */
int sampler_open(struct sampler **out, const struct sampler_opts *o);
int sampler_enable(struct sampler *s);
int sampler_disable(struct sampler *s);
/* Wait at most timeout_ms for a ring to fill past its watermark. */
void sampler_wait(struct sampler *s, int timeout_ms);

typedef void (*sampler_fn)(const struct perf_rec *r, void *data);
/*
 * Read every ring and call fn for each record in time order. Records
 * newer than the start of the read wait for the next call unless final
 * is set. Returns the number of records passed to fn.
 */
long sampler_read(struct sampler *s, sampler_fn fn, void *data, int final);

struct sampler_stats {
	uint64_t samples;	/* SAMPLE records read */
	uint64_t lost;		/* records the kernel could not write (ring full) */
	uint64_t lost_samples;	/* samples dropped before the ring */
	uint64_t throttled;	/* times the kernel throttled the sample rate */
	uint64_t corrupt;	/* bytes skipped because they were not records */
};
void sampler_get_stats(const struct sampler *s, struct sampler_stats *out);
/* The CPUs sampled, in order. */
int sampler_ncpus(const struct sampler *s);
int sampler_cpu(const struct sampler *s, int i);
void sampler_free(struct sampler *s);

/*
 * Parse a CPU list ("0-3,6"); *out gets the sorted, unique ids (the
 * caller frees). Returns the count or -1 with an error.
 */

#endif
