#ifndef COLLECTORS_FINGERPRINT_OS_H
#define COLLECTORS_FINGERPRINT_OS_H

/*
 * Between collectors/fingerprint.c (the format: hash, files, shape) and
 * the readers of one OS each (fingerprint-linux.c, fingerprint-freebsd.c).
 */
#include <stddef.h>

struct json_t;

/*
 * Fill fp with the sections of this OS, reading /proc, /sys and /etc
 * under root ("" for this host).
 */
void fingerprint_os_take(struct json_t *fp, const char *root);

/*
 * Normalize text read from the kernel in place: control characters and
 * runs of white space become one space, ends are trimmed. Frees s and
 * returns NULL when nothing is left, so an empty value becomes null.
 */
char *fp_squeeze(char *s);
/* The words of text, sorted and unique, as an array; null for NULL. */
struct json_t *fp_words(const char *text);
/* The word in [brackets] of a choice file ("always [madvise] never"), or text. */
char *fp_choice(char *text);
/*
 * Record a device: devs[bus/name] = driver (NULL: none bound). Call
 * fp_devices_finish() once all are in: four or more devices named
 * PREFIX<number> with one driver become "bus/PREFIX*" -> { driver: n }.
 */
struct fp_devices;
struct fp_devices *fp_devices_new(void);
void fp_devices_add(struct fp_devices *d, const char *bus, const char *name,
		    const char *driver);
struct json_t *fp_devices_finish(struct fp_devices *d);

#endif
