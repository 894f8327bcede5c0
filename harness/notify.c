/*
 * The job's notification hook: `[run] notify = CMD` runs CMD (as argv
 * words, never through a shell of ours) with the verdict JSON on its
 * standard input, when a night is not good or a bisection ends. Mail, a
 * chat webhook or a ticket is the team's choice; perflab only says what
 * happened. A hook that fails or hangs is a warning: it never changes
 * the exit status of the command that called it.
 */
#include "harness/builtin.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/spawn.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOTIFY_TIMEOUT 120.0	/* seconds a hook may take */

int notify_run(char *const *cmd, const json_t *payload)
{
	char tmp[] = "/tmp/perflab-notify.XXXXXX";
	struct spawn_opts so = SPAWN_OPTS_INIT;
	struct child c;
	char *text;
	int fd, ret = -1;

	if (!cmd || !cmd[0])
		return 0;
	text = json_dumps(payload, JSON_INDENT(1) | JSON_SORT_KEYS);
	fd = mkstemp(tmp);
	if (fd < 0 || !text || write_all(fd, text, strlen(text)) || write_all(fd, "\n", 1)) {
		warning("notify: cannot write the verdict for '%s'", cmd[0]);
		goto out;
	}
	so.stdin_path = tmp;
	if (spawn_argv(&c, cmd, &so)) {
		warning("notify: cannot run '%s'", cmd[0]);
		goto out;
	}
	if (child_wait(&c, NOTIFY_TIMEOUT)) {
		warning("notify: '%s' took more than %.0f s; stopped", cmd[0], NOTIFY_TIMEOUT);
		child_stop(&c, 1.0);
		goto out;
	}
	ret = child_exit_code(&c);
	if (ret)
		warning("notify: '%s' exited with %d", cmd[0], ret);
	else
		note("notify: '%s' told", cmd[0]);
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(text);
	return ret;
}
