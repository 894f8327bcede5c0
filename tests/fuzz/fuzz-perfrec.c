/*
 * libFuzzer target: the perf ring-buffer reader and record decoder.
 * The first 8 bytes are the reader's position (data_tail), the next 2
 * how many bytes the kernel says it wrote; the rest is the data area,
 * cut to a power of two. Records are walked as the sampler walks them,
 * wrapped ones included, and each is decoded.
 */
#include "collectors/sampler.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char scratch[RING_RECORD_MAX];

static void walk(const struct ring_view *v, uint64_t tail, uint64_t head)
{
	while (tail != head) {
		const void *rec;
		struct perf_rec r;
		long n = ring_next(v, head, tail, scratch, &rec);

		if (n <= 0)
			return;
		if ((uint64_t)n > head - tail || n < 8)
			abort();
		if (!perf_rec_decode(&r, rec, (size_t)n) && r.name &&
		    !memchr(r.name, '\0', (size_t)n))
			abort();
		tail += (uint64_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ring_view v;
	struct perf_rec r;
	uint64_t tail, ring = 8;
	uint16_t avail;
	unsigned char *copy;

	if (size < 10)
		return 0;
	memcpy(&tail, data, 8);
	memcpy(&avail, data + 8, 2);
	data += 10;
	size -= 10;
	/* the bytes as one record, too */
	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	perf_rec_decode(&r, copy, size);
	free(copy);
	if (size < 8)
		return 0;
	while (ring * 2 <= size && ring < 65536)
		ring *= 2;
	copy = xmalloc(ring);
	memcpy(copy, data, ring);
	v.data = copy;
	v.size = ring;
	walk(&v, tail, tail + (avail % (ring + 1)));
	free(copy);
	return 0;
}
