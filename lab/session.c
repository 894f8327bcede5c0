#include "lab/session.h"
#include "lab/build.h"
#include "lab/job.h"
#include "common/util.h"

#include <string.h>

enum run_status session_measure(struct session *s, const char *rev, const char *side,
				int reboot, char **dir_out)
{
	struct run_request rq = { .run = s->run, .workload = s->workload, .hosts = s->hosts,
				  .deploy = s->deploy, .argv = s->argv, .kind = s->kind,
				  .series = s->series, .side = side };
	struct build_result b;
	enum run_status st;
	int built = 0;

	*dir_out = NULL;
	if (s->job && s->job->has_source) {
		if (build_at(&b, &s->job->source, rev, 0) < 0)
			return RUN_ABORTED;	/* an unknown revision: nothing to measure */
		built = 1;
		s->builds += !b.hit;
		rq.build = &b;
		rq.commit = b.commit;
		/* the DUT already runs this image: measure it as it is */
		if (!b.failed && (reboot || strcmp(s->deployed, b.key)))
			rq.image = b.image;
	}
	st = run_measure(&rq, dir_out);
	s->runs++;
	if (rq.image) {
		s->deploys++;
		/* after a failed deploy nobody knows what the DUT runs */
		if (st == RUN_COMPLETE || st == RUN_FAILED)
			strcpy(s->deployed, b.key);
		else
			s->deployed[0] = '\0';
	}
	if (built)
		build_result_release(&b);
	return st;
}
