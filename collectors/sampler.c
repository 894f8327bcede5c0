/*
 * perf_event_open sampling: events per CPU, their ring buffers, and the
 * decoder of the records the kernel writes there.
 */
#include "collectors/sampler.h"
#include "collectors/pmc.h"
#include "collectors/topology.h"
#include "common/util.h"
#include "common/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_TYPE (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
		     PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD)
#define SAMPLE_ID_LEN 24	/* bytes: {pid, tid}, time, {cpu, res} */
#define HDR_LEN 8		/* bytes of struct perf_event_header */

/* Little readers over a record; the caller checked the length. */
static uint64_t rd64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The sample_id_all trailer: the last 24 bytes of a non-sample record. */
static void decode_sample_id(struct perf_rec *r, const unsigned char *end)
{
	const unsigned char *p = end - SAMPLE_ID_LEN;

	r->pid = rd32(p);
	r->tid = rd32(p + 4);
	r->time = rd64(p + 8);
	r->cpu = rd32(p + 16);
}

static int decode_sample(struct perf_rec *r, const unsigned char *p, size_t len)
{
	if (len < HDR_LEN + 40)
		return PERFLAB_EINVAL;
	p += HDR_LEN;
	r->ip = rd64(p);
	r->pid = rd32(p + 8);
	r->tid = rd32(p + 12);
	r->time = rd64(p + 16);
	r->cpu = rd32(p + 24);
	r->period = rd64(p + 32);
	return 0;
}

/* A NUL-terminated name filling [p, end); PERFLAB_EINVAL without the NUL. */
static int decode_name(struct perf_rec *r, const unsigned char *p, const unsigned char *end)
{
	if (p >= end || !memchr(p, '\0', (size_t)(end - p)))
		return PERFLAB_EINVAL;
	r->name = (const char *)p;
	return 0;
}

static int decode_mmap2(struct perf_rec *r, const unsigned char *p, const unsigned char *end)
{
	/* pid, tid, addr, len, pgoff, {maj, min, ino, ino_gen | build id}, prot, flags */
	if (end - p < 8 + 24 + 24 + 8)
		return PERFLAB_EINVAL;
	r->addr = rd64(p + 8);
	r->len = rd64(p + 16);
	r->pgoff = rd64(p + 24);
	return decode_name(r, p + 64, end);
}

static int decode_mmap(struct perf_rec *r, const unsigned char *p, const unsigned char *end)
{
	if (end - p < 8 + 24)
		return PERFLAB_EINVAL;
	r->addr = rd64(p + 8);
	r->len = rd64(p + 16);
	r->pgoff = rd64(p + 24);
	return decode_name(r, p + 32, end);
}

/* The body of a non-sample record, between header and trailer. */
static int decode_body(struct perf_rec *r, const unsigned char *p, const unsigned char *end)
{
	switch (r->type) {
	case PERF_RECORD_MMAP2:
	case PERF_RECORD_MMAP:
	case PERF_RECORD_COMM:
		if (end - p < 8)
			return PERFLAB_EINVAL;
		r->pid = rd32(p);
		r->tid = rd32(p + 4);
		if (r->type == PERF_RECORD_COMM)
			return decode_name(r, p + 8, end);
		if (r->type == PERF_RECORD_MMAP)
			return decode_mmap(r, p, end);
		return decode_mmap2(r, p, end);
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		/* the trailer names the parent, who forks: the body the child */
		if (end - p < 24)
			return PERFLAB_EINVAL;
		r->pid = rd32(p);
		r->ppid = rd32(p + 4);
		r->tid = rd32(p + 8);
		r->ptid = rd32(p + 12);
		return 0;
	case PERF_RECORD_LOST:
		if (end - p < 16)
			return PERFLAB_EINVAL;
		r->lost = rd64(p + 8);
		return 0;
	case PERF_RECORD_LOST_SAMPLES:
		if (end - p < 8)
			return PERFLAB_EINVAL;
		r->lost = rd64(p);
		return 0;
	default:
		return 0;
	}
}

int perf_rec_decode(struct perf_rec *out, const void *rec, size_t len)
{
	const unsigned char *p = rec;
	const unsigned char *body_end;
	uint16_t size;

	memset(out, 0, sizeof(*out));
	if (len < HDR_LEN)
		return PERFLAB_EINVAL;
	out->type = rd32(p);
	memcpy(&out->misc, p + 4, sizeof(out->misc));
	memcpy(&size, p + 6, sizeof(size));
	if (size != len)
		return PERFLAB_EINVAL;
	if (out->type == PERF_RECORD_SAMPLE)
		return decode_sample(out, p, len);
	if (len < HDR_LEN + SAMPLE_ID_LEN)
		return PERFLAB_EINVAL;
	body_end = p + len - SAMPLE_ID_LEN;
	decode_sample_id(out, p + len);
	/* the body's pid and tid, where it has them, take precedence */
	return decode_body(out, p + HDR_LEN, body_end);
}

/* Copy n bytes starting at the free-running position pos, wrapping. */
static void ring_copy(const struct ring_view *r, uint64_t pos, void *dst, size_t n)
{
	uint64_t off = pos & (r->size - 1);
	size_t first = n < r->size - off ? n : (size_t)(r->size - off);

	memcpy(dst, r->data + off, first);
	memcpy((unsigned char *)dst + first, r->data, n - first);
}

long ring_next(const struct ring_view *r, uint64_t head, uint64_t tail,
	       void *scratch, const void **rec)
{
	struct perf_event_header h;
	uint64_t avail = head - tail, off;

	if (!avail)
		return 0;
	if (avail < sizeof(h) || avail > r->size || r->size < sizeof(h) ||
	    (r->size & (r->size - 1)))
		return PERFLAB_EINVAL;
	ring_copy(r, tail, &h, sizeof(h));
	if (h.size < sizeof(h) || h.size > avail)
		return PERFLAB_EINVAL;
	off = tail & (r->size - 1);
	if (off + h.size <= r->size) {
		*rec = r->data + off;
	} else {
		ring_copy(r, tail, scratch, h.size);
		*rec = scratch;
	}
	return h.size;
}

/* Events by name: pmc's encoder knows them all, in every spelling. */
int sampler_event_parse(struct sampler_event *out, const char *name)
{
	struct pmc_event e;

	memset(out, 0, sizeof(*out));
	out->name = name;
	if (pmc_setup() || pmc_encode(&e, name, NULL))
		return -1;
	out->type = e.type;
	out->config = e.config;
	out->config1 = e.config1;
	out->config2 = e.config2;
	out->hardware = !e.software;
	pmc_event_release(&e);
	return 0;
}

/* The sampler. */

struct ring {
	int fd;			/* the event that owns this buffer */
	int cpu;
	void *base;		/* metadata page, then the data area */
	size_t map_len;		/* bytes mapped */
	struct ring_view view;
};

struct batch_item {
	struct perf_rec r;
	size_t off;		/* of the raw record in the batch buffer */
	uint32_t len;		/* bytes */
	uint32_t seq;		/* arrival order, to keep the sort stable */
};

struct sampler {
	struct sampler_event ev;
	int follow_exec;
	int *cpus, ncpus;	/* CPUs sampled, then nrings - ncpus tracked only */
	int nrings;
	struct ring *rings;	/* one per CPU in cpus */
	int *fds, nfds;		/* every event, the ring owners among them */
	size_t fds_alloc;
	struct sampler_stats st;
	unsigned char *scratch;	/* RING_RECORD_MAX bytes for wrapped records */
	unsigned char *buf, *carry; /* this read's raw records; those kept for the next */
	size_t len, alloc, carry_len, carry_alloc;
	struct batch_item *items;
	size_t nitems, items_alloc;
	struct pollfd *pfds;	/* one per ring, for sampler_wait() */
};

static long perf_event_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static void fill_attr(struct perf_event_attr *a, const struct sampler *s,
		      const struct sampler_opts *o, size_t data_len)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = s->ev.type;
	a->config = s->ev.config;
	a->config1 = s->ev.config1;
	a->config2 = s->ev.config2;
	a->sample_type = SAMPLE_TYPE;
	if (o->freq > 0) {
		a->freq = 1;
		a->sample_freq = (uint64_t)o->freq;
	} else {
		a->sample_period = o->period ? o->period : 1;
	}
	a->disabled = 1;
	a->mmap = a->mmap2 = a->comm = a->comm_exec = a->task = 1;
	a->sample_id_all = 1;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	a->exclude_idle = o->exclude_idle ? 1 : 0;
	a->inherit = o->pid > 0 || o->follow_exec;
	a->enable_on_exec = o->follow_exec ? 1 : 0;
	a->watermark = 1;
	a->wakeup_watermark = (uint32_t)(data_len / 4);
}

static long read_sysctl(const char *path)
{
	char *t = read_file(path, 64, NULL);
	long v = t ? strtol(t, NULL, 10) : -1;

	free(t);
	return v;
}

/* Say why an event cannot be opened, naming it. */
static int open_error(const struct sampler *s, int cpu, int err)
{
	const char *name = s->ev.name;

	if (s->ev.hardware && (err == ENOENT || err == EOPNOTSUPP || err == ENODEV)) {
		error("cannot sample '%s': it is a hardware event and this kernel has no "
		      "hardware PMU (%s); use a software event: perflab top -S cpu-clock",
		      name, strerror(err));
		return PERFLAB_ENOPMU;
	}
	if (err == EACCES || err == EPERM)
		return error("not allowed to sample '%s' (kernel.perf_event_paranoid is %ld): "
			     "run as root", name,
			     read_sysctl("/proc/sys/kernel/perf_event_paranoid"));
	if (err == EINVAL && !s->ev.hardware)
		return error("cannot sample '%s' on CPU %d: invalid settings (is the frequency "
			     "above kernel.perf_event_max_sample_rate, %ld?)", name, cpu,
			     read_sysctl("/proc/sys/kernel/perf_event_max_sample_rate"));
	errno = err;
	return error_errno("cannot sample '%s' on CPU %d", name, cpu);
}

static int map_ring(struct ring *r, unsigned pages)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);

	r->map_len = (pages + 1) * psz;
	r->base = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		return error_errno("cannot map the ring buffer of CPU %d", r->cpu);
	}
	r->view.data = (const unsigned char *)r->base + psz;
	r->view.size = (uint64_t)pages * psz;
	return 0;
}

static void add_fd(struct sampler *s, int fd)
{
	ALLOC_GROW(s->fds, (size_t)s->nfds + 1, s->fds_alloc);
	s->fds[s->nfds++] = fd;
}

/* The threads of a process, from /proc/PID/task. */
static int list_threads(pid_t pid, pid_t **out)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	pid_t *tids = NULL;
	size_t alloc = 0;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return error_errno("no process %d", (int)pid);
	while ((e = readdir(d))) {
		long t = strtol(e->d_name, NULL, 10);

		if (t <= 0)
			continue;
		ALLOC_GROW(tids, (size_t)n + 1, alloc);
		tids[n++] = (pid_t)t;
	}
	closedir(d);
	*out = tids;
	return n;
}

/*
 * Open the events of one CPU: one for the whole CPU, one on ourselves
 * to be inherited by a child (follow_exec), or one per thread of the
 * process (the first owns the ring; the others write into it).
 */
static int open_cpu(struct sampler *s, struct ring *r, struct perf_event_attr *a,
		    const pid_t *tids, int ntids)
{
	r->fd = -1;
	for (int i = 0; i < ntids; i++) {
		long fd = perf_event_open(a, tids[i], r->cpu);

		if (fd < 0 && errno == ESRCH && ntids > 1)
			continue;	/* the thread ended meanwhile */
		if (fd < 0)
			return open_error(s, r->cpu, errno);
		add_fd(s, (int)fd);
		if (r->fd < 0) {
			r->fd = (int)fd;
			continue;
		}
		if (ioctl((int)fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd))
			return error_errno("cannot share the ring of CPU %d", r->cpu);
	}
	if (r->fd < 0)
		return error("process ended before sampling started");
	return 0;
}

static int online_cpus(int **out)
{
	char *t = read_file("/sys/devices/system/cpu/online", 4096, NULL);
	int n;
	long nc;

	if (t) {
		t[strcspn(t, "\n")] = '\0';
		n = cpulist_parse(t, out, "/sys/devices/system/cpu/online");
		free(t);
		if (n > 0)
			return n;
	}
	nc = sysconf(_SC_NPROCESSORS_ONLN);
	if (nc < 1)
		nc = 1;
	*out = xmalloc((size_t)nc * sizeof(**out));
	for (long i = 0; i < nc; i++)
		(*out)[i] = (int)i;
	return (int)nc;
}

static int has_cpu(const int *cpus, int n, int cpu)
{
	for (int i = 0; i < n; i++)
		if (cpus[i] == cpu)
			return 1;
	return 0;
}

/*
 * The CPUs to sample, then the other online ones: side-band records go
 * to the event of the CPU where the mmap or exec happened, so those
 * CPUs get a dummy event that reports them and never samples.
 */
static int choose_cpus(struct sampler *s, const struct sampler_opts *o)
{
	int *online, nonline = online_cpus(&online);

	if (!o->cpus) {
		s->cpus = online;
		s->ncpus = s->nrings = nonline;
		return 0;
	}
	if (o->ncpus <= 0) {
		free(online);
		return error("no CPUs to sample");
	}
	s->ncpus = s->nrings = o->ncpus;
	s->cpus = xmalloc(((size_t)o->ncpus + (size_t)nonline) * sizeof(*s->cpus));
	memcpy(s->cpus, o->cpus, (size_t)o->ncpus * sizeof(*s->cpus));
	for (int i = 0; i < nonline; i++)
		if (!has_cpu(o->cpus, o->ncpus, online[i]))
			s->cpus[s->nrings++] = online[i];
	free(online);
	return 0;
}

static int who_to_sample(const struct sampler_opts *o, pid_t **tids)
{
	if (o->pid > 0)
		return list_threads(o->pid, tids);
	*tids = xmalloc(sizeof(**tids));
	(*tids)[0] = o->follow_exec ? 0 : -1;
	return 1;
}

static int open_rings(struct sampler *s, const struct sampler_opts *o)
{
	unsigned pages = o->ring_pages ? o->ring_pages : 128;
	size_t data_len = pages * (size_t)sysconf(_SC_PAGESIZE);
	struct perf_event_attr a;
	pid_t *tids = NULL;
	int ntids = who_to_sample(o, &tids), ret = 0;

	if (ntids < 0)
		return -1;
	if (pages & (pages - 1)) {
		free(tids);
		return error("ring buffer pages must be a power of two, not %u", pages);
	}
	fill_attr(&a, s, o, data_len);
	s->rings = xcalloc((size_t)s->nrings, sizeof(*s->rings));
	for (int i = 0; i < s->nrings && !ret; i++) {
		if (i == s->ncpus) {
			/* the CPUs only tracked: side-band records, no samples */
			pages = pages < 16 ? pages : 16;
			fill_attr(&a, s, o, pages * (size_t)sysconf(_SC_PAGESIZE));
			a.type = PERF_TYPE_SOFTWARE;
			a.config = PERF_COUNT_SW_DUMMY;
		}
		s->rings[i].fd = -1;
		s->rings[i].cpu = s->cpus[i];
		ret = open_cpu(s, &s->rings[i], &a, tids, ntids);
		if (!ret)
			ret = map_ring(&s->rings[i], pages);
	}
	free(tids);
	return ret;
}

int sampler_open(struct sampler **out, const struct sampler_opts *o)
{
	struct sampler *s = xcalloc(1, sizeof(*s));
	int ret;

	*out = NULL;
	s->follow_exec = o->follow_exec;
	ret = sampler_event_parse(&s->ev, o->event);
	if (!ret)
		ret = choose_cpus(s, o);
	if (!ret)
		ret = open_rings(s, o);
	if (ret) {
		sampler_free(s);
		return ret;
	}
	s->scratch = xmalloc(RING_RECORD_MAX);
	*out = s;
	return 0;
}

static int ioctl_all(struct sampler *s, unsigned long req, const char *what)
{
	for (int i = 0; i < s->nfds; i++)
		if (ioctl(s->fds[i], req, 0))
			return error_errno("cannot %s event '%s'", what, s->ev.name);
	return 0;
}

int sampler_enable(struct sampler *s)
{
	/* events that follow a child turn on at its exec, not on us */
	if (s->follow_exec)
		return 0;
	return ioctl_all(s, PERF_EVENT_IOC_ENABLE, "enable");
}

int sampler_disable(struct sampler *s)
{
	return ioctl_all(s, PERF_EVENT_IOC_DISABLE, "disable");
}

void sampler_wait(struct sampler *s, int timeout_ms)
{
	if (!s->pfds) {
		s->pfds = xcalloc((size_t)s->nrings, sizeof(*s->pfds));
		for (int i = 0; i < s->nrings; i++) {
			s->pfds[i].fd = s->rings[i].fd;
			s->pfds[i].events = POLLIN;
		}
	}
	if (poll(s->pfds, (nfds_t)s->nrings, timeout_ms) < 0 && errno != EINTR)
		warning_errno("cannot wait for samples");
}

/* Append raw bytes to the batch buffer. */
static void batch_add(struct sampler *s, const void *rec, size_t len)
{
	ALLOC_GROW(s->buf, s->len + len, s->alloc);
	memcpy(s->buf + s->len, rec, len);
	s->len += len;
}

/* Move every record of one ring into the batch and free the ring. */
static void drain_ring(struct sampler *s, struct ring *r)
{
	struct perf_event_mmap_page *meta = r->base;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;

	while (tail != head) {
		const void *rec;
		long n = ring_next(&r->view, head, tail, s->scratch, &rec);

		if (n <= 0) {
			/* not a record: skip what is there rather than loop */
			s->st.corrupt += head - tail;
			tail = head;
			break;
		}
		batch_add(s, rec, (size_t)n);
		tail += (uint64_t)n;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct batch_item *a = pa, *b = pb;

	if (a->r.time != b->r.time)
		return a->r.time < b->r.time ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Decode the batch into items, sorted by time. */
static void decode_batch(struct sampler *s)
{
	size_t off = 0;

	s->nitems = 0;
	while (off + HDR_LEN <= s->len) {
		uint16_t size;
		struct batch_item *it;

		memcpy(&size, s->buf + off + 6, sizeof(size));
		ALLOC_GROW(s->items, s->nitems + 1, s->items_alloc);
		it = &s->items[s->nitems];
		if (perf_rec_decode(&it->r, s->buf + off, size)) {
			s->st.corrupt += size;
		} else {
			it->off = off;
			it->len = size;
			it->seq = (uint32_t)s->nitems++;
		}
		off += size;
	}
	qsort(s->items, s->nitems, sizeof(*s->items), item_cmp);
}

static void count(struct sampler *s, const struct perf_rec *r)
{
	switch (r->type) {
	case PERF_RECORD_SAMPLE:
		s->st.samples++;
		break;
	case PERF_RECORD_LOST:
		s->st.lost += r->lost;
		break;
	case PERF_RECORD_LOST_SAMPLES:
		s->st.lost_samples += r->lost;
		break;
	case PERF_RECORD_THROTTLE:
		s->st.throttled++;
		break;
	}
}

long sampler_read(struct sampler *s, sampler_fn fn, void *data, int final)
{
	uint64_t cut = mono_ns();
	unsigned char *t;
	size_t talloc, i;

	/* last read's late records first, then what the rings hold now */
	t = s->buf, s->buf = s->carry, s->carry = t;
	talloc = s->alloc, s->alloc = s->carry_alloc, s->carry_alloc = talloc;
	s->len = s->carry_len;
	s->carry_len = 0;
	for (int k = 0; k < s->nrings; k++)
		drain_ring(s, &s->rings[k]);
	decode_batch(s);
	for (i = 0; i < s->nitems && (final || s->items[i].r.time <= cut); i++) {
		count(s, &s->items[i].r);
		fn(&s->items[i].r, data);
	}
	for (size_t k = i; k < s->nitems; k++) {
		ALLOC_GROW(s->carry, s->carry_len + s->items[k].len, s->carry_alloc);
		memcpy(s->carry + s->carry_len, s->buf + s->items[k].off, s->items[k].len);
		s->carry_len += s->items[k].len;
	}
	return (long)i;
}

void sampler_get_stats(const struct sampler *s, struct sampler_stats *out)
{
	*out = s->st;
}

int sampler_ncpus(const struct sampler *s)
{
	return s->ncpus;
}

int sampler_cpu(const struct sampler *s, int i)
{
	return s->cpus[i];
}

void sampler_free(struct sampler *s)
{
	if (!s)
		return;
	for (int i = 0; s->rings && i < s->nrings; i++)
		if (s->rings[i].base)
			munmap(s->rings[i].base, s->rings[i].map_len);
	for (int i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	free(s->rings);
	free(s->fds);
	free(s->cpus);
	free(s->scratch);
	free(s->buf);
	free(s->carry);
	free(s->items);
	free(s->pfds);
	free(s);
}
