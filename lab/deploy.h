#ifndef LAB_DEPLOY_H
#define LAB_DEPLOY_H

#include "common/opt.h"

struct host;
struct transport;
struct json_t;

/*
 * Putting an image on the DUT and bringing the DUT back: install,
 * reboot, wait until it answers (a new boot when the reboot dropped the
 * connection), power-cycle when it does not, capture the console, wait
 * for the service to be ready. The job's [deploy] section overrides the
 * host's commands.
 */
enum deploy_server { SERVER_PERFLAB, SERVER_IMAGE };
/*
 * How an image gets on the DUT: by the commands of the host and the job
 * (install, reboot, ready), or as the kernel a VM DUT of the lab boots
 * (lab/vm.h): install puts it in the VM's boot slot, reboot powers the
 * VM off and on, and the guest's init says when it is ready. With
 * commands, the reboot must bring a new boot (a new boot id), however
 * the command exited: `shutdown -r now` may exit 0 while the old boot
 * still answers. DEPLOY_SERVICE runs the same commands, but its reboot
 * only restarts a service: the same boot will do.
 */
enum deploy_kind { DEPLOY_COMMANDS, DEPLOY_KERNEL, DEPLOY_SERVICE };

struct deploy_opts {
	char **install;		/* argv run on the DUT; NULL = the host's */
	char **reboot;		/* argv run on the DUT; NULL = the host's */
	char **ready;		/* argv run on the DUT until it succeeds */
	double boot_timeout;	/* seconds, 0 = the host's */
	int server;		/* enum deploy_server: who answers the workload */
	int kind;		/* enum deploy_kind */
	char *cmdline;		/* kind = kernel: extra kernel arguments, "" = none */
	long port;		/* the image's service port (server = image) */
};

extern const struct opt deploy_table[];

/* What happened, and what it means for the commit being measured. */
enum deploy_outcome {
	DEPLOY_OK,
	DEPLOY_SKIP,	/* this image cannot be measured (install or boot failed) */
	DEPLOY_ABORT	/* the lab is broken (host gone, power cycle failed) */
};

struct deploy_result {
	int outcome;		/* enum deploy_outcome */
	char *why;		/* for SKIP and ABORT */
	int power_cycled;
	double install_s, boot_s, ready_s;	/* seconds each step took */
	char *image_remote;	/* where the image is on the DUT */
};

/*
 * Deploy the local image to the DUT reached through t. commit fills
 * {commit}; logdir keeps console and step logs. Errors are classified,
 * never returned as plain failures.
 */
void deploy_image(struct deploy_result *out, struct transport *t, const struct deploy_opts *d,
		  const char *image, const char *commit, const char *logdir);
void deploy_result_release(struct deploy_result *r);
struct json_t *deploy_result_json(const struct deploy_result *r);

/*
 * Substitute {placeholders} inside the words of argv: vars is a
 * NULL-terminated list of name, value pairs. Each word stays one word,
 * whatever the values hold. The caller frees with argv_free().
 */
char **argv_substitute(char *const *argv, const char *const *vars);

#endif
