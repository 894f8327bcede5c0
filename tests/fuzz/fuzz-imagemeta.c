/*
 * libFuzzer target: the image cache's index, meta.json of each entry
 * (harness/images.c). Every input must come back parsed or as a
 * reported error, never a crash or a leak; a parsed one must survive a
 * round trip through its JSON form unchanged.
 */
#include "lab/images.h"
#include "common/json.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *prefix, const char *msg)
{
}

static void round_trip(const struct image_meta *m)
{
	json_t *o = image_meta_json(m);
	char *text = json_dump_compact(o);
	struct image_meta back;

	if (!text || image_meta_parse(&back, text, strlen(text), "again"))
		abort();
	if (strcmp(back.key, m->key) || strcmp(back.subject, m->subject) ||
	    back.status != m->status || back.size != m->size)
		abort();
	image_meta_release(&back);
	free(text);
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_meta m;

	report_hook = quiet;
	if (!image_meta_parse(&m, (const char *)data, size, "fuzz/meta.json")) {
		round_trip(&m);
		image_meta_release(&m);
	}
	return 0;
}
