/*
 * Change points over a job's nights (see changepoint.h).
 */
#include "verdict/changepoint.h"
#include "store/history.h"
#include "common/json.h"
#include "common/stats.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

json_t *night_change_points(struct history *h, const char *job, const struct gate *gates,
			    size_t ngates, const json_t *tonight, const char *date,
			    const char *commit)
{
	struct history_night *nights = NULL;
	size_t nn = 0;
	json_t *out = json_array();

	if (history_nights(h, job, 0, &nights, &nn))
		nn = 0;
	for (size_t g = 0; g < ngates; g++) {
		const char *name = gates[g].m->name;
		double *x = xcalloc(nn + 1, sizeof(*x));
		const char **dates = xcalloc(nn + 1, sizeof(*dates));
		const char **commits = xcalloc(nn + 1, sizeof(*commits));
		struct stats_cp *cp = NULL;
		struct stats_cp_opts opts = STATS_CP_OPTS_INIT;
		size_t n = 0;
		int k;

		for (size_t i = 0; i < nn; i++) {
			json_t *s;

			/* tonight is recorded after this: an earlier record of it is replaced */
			if (!strcmp(nights[i].date, date) && !strcmp(nights[i].commit, commit))
				continue;
			s = nights[i].summary ? json_loads(nights[i].summary, 0, NULL) : NULL;
			x[n] = s ? json_get_num(s, "tip_median") : NAN;
			if (s && json_object_get(json_object_get(s, "medians"), name))
				x[n] = json_get_num(json_object_get(s, "medians"), name);
			json_decref(s);
			if (!isnan(x[n])) {
				dates[n] = nights[i].date;
				commits[n] = nights[i].commit;
				n++;
			}
		}
		x[n] = json_get_num(tonight, name);
		if (!isnan(x[n])) {
			dates[n] = date;
			commits[n] = commit;
			n++;
		}
		k = stats_changepoints(&cp, x, n, &opts);
		for (int i = 0; i < k; i++) {
			json_t *o = json_object();

			json_set_str(o, "metric", name);
			json_set_str(o, "date", dates[cp[i].index]);
			json_set_str(o, "commit", commits[cp[i].index]);
			json_set_str(o, "after", commits[cp[i].index - 1]);
			json_set_num(o, "p", cp[i].p);
			json_set_num(o, "before_median", cp[i].before);
			json_set_num(o, "after_median", cp[i].after);
			/* a change for the better is a change too (an improvement to explain) */
			json_set_str(o, "direction",
				     (cp[i].after - cp[i].before) * gates[g].m->worse > 0 ? "worse"
				     : "better");
			json_array_append_new(out, o);
		}
		free(cp);
		free(x);
		free(dates);
		free(commits);
	}
	history_nights_free(nights, nn);
	return out;
}

