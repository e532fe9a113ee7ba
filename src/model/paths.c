/*
 * paths: where blueprints and the default lab are found when the command
 * line names none. A source checkout is preferred over an installed copy so
 * that `pocketinternet` run from the build tree uses the tree's files.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pi_config.h"
#include "model.h"

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *pi_default_blueprint_dir(void)
{
	const char *env = getenv("POCKETINTERNET_BLUEPRINTS");
	if (env && *env)
		return env;
	if (is_dir(PI_SOURCE_DIR "/blueprints"))
		return PI_SOURCE_DIR "/blueprints";
	return PI_DATA_DIR "/blueprints";
}

const char *pi_default_lab_file(void)
{
	if (access("labs/lab.yml", R_OK) == 0)
		return "labs/lab.yml";
	if (access(PI_SOURCE_DIR "/labs/lab.yml", R_OK) == 0)
		return PI_SOURCE_DIR "/labs/lab.yml";
	return PI_DATA_DIR "/labs/lab.yml";
}
