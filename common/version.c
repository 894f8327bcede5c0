#include "common/version.h"
#include "build/version.h"

const char *perflab_version(void)
{
	return PERFLAB_VERSION;
}
