/*
 * apply/sshkey: a team's SSH public keys (docs/security.md, "SSH per
 * team"). The trainer gives them (`teams --ssh-key TEAM FILE`); they are
 * checked, kept in <state dir>/ssh/<team>.keys (0600, in a 0700 directory)
 * and written into the run directory of every running node of the team's
 * pods, where the rendered sshd_config looks for them. Only the team's own
 * nodes ever hold its keys, so any other node's sshd refuses them. The run
 * directory is the node's own (a restart empties it): the gateway writes
 * the kept keys again when it starts.
 *
 * A team may also log in with a password (`teams --ssh-password`): its
 * yescrypt hash (crypt_r, libxcrypt's own salt) is kept beside the keys in
 * <team>.hash and set as root's password in the team's nodes with
 * `chpasswd -e`; the password itself is never stored here.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "apply_int.h"
#include "pocketinternet/render.h"

#define KEYS_MAX (64u << 10)

static const char *const key_types[] = {
	"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
};

/* One "TYPE BASE64 [COMMENT]" line: the blob decodes and names TYPE first. */
static bool key_line_ok(const char *line, size_t n, size_t *type_len)
{
	const char *sp = memchr(line, ' ', n);
	if (!sp)
		return false;
	size_t tl = (size_t)(sp - line), i;
	for (i = 0; i < PI_ARRAY_LEN(key_types); i++)
		if (strlen(key_types[i]) == tl && memcmp(line, key_types[i], tl) == 0)
			break;
	const char *b64 = sp + 1, *end = memchr(b64, ' ', n - tl - 1);
	size_t bl = end ? (size_t)(end - b64) : n - tl - 1;
	unsigned char blob[2048];
	size_t got = 0;
	if (i == PI_ARRAY_LEN(key_types) || bl == 0 ||
	    sodium_base642bin(blob, sizeof(blob), b64, bl, NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got < 4 + tl)
		return false;
	uint32_t len = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	*type_len = tl;
	return len == tl && memcmp(blob + 4, line, tl) == 0;
}

int pi_apply_ssh_keys_parse(const char *text, size_t len, struct pi_buf *out, struct pi_diag *diag)
{
	if (sodium_init() < 0)
		return -ENOMEM;
	unsigned line_no = 0, keys = 0;
	for (size_t off = 0; off < len;) {
		const char *l = text + off, *nl = memchr(l, '\n', len - off);
		size_t n = nl ? (size_t)(nl - l) : len - off, tl;
		off += n + (nl ? 1 : 0);
		line_no++;
		if (n && l[n - 1] == '\r')
			n--;
		if (n == 0 || l[0] == '#')
			continue;
		bool printable = true;
		for (size_t i = 0; i < n; i++)
			printable &= l[i] >= 0x20 && l[i] < 0x7f;
		if (!printable || !key_line_ok(l, n, &tl)) {
			pi_diag_add(diag, (struct pi_pos){ .line = line_no, .col = 1 },
				    "give the .pub file: one 'ssh-ed25519 AAAA... comment' line per key (no options)",
				    "not an OpenSSH public key");
			return -EINVAL;
		}
		pi_buf_write(out, l, n);
		pi_buf_putc(out, '\n');
		keys++;
	}
	if (!keys) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "give the team's .pub file", "no public key given");
		return -EINVAL;
	}
	return 0;
}

static int ssh_dir(const char *state_dir, bool create, struct pi_diag *diag)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/ssh", state_dir);
	bool created = false;
	int fd = pi_dir_open(path, (create ? PI_DIR_CREATE : 0) | PI_DIR_OWNED, &created, diag);
	if (fd >= 0 && created)
		fchmod(fd, 0700);
	return fd;
}

/* Nothing is read from the command's output; it just has to finish. */
static int discard(void *ctx, enum pi_exec_stream s, const char *p, size_t n)
{
	(void)ctx, (void)s, (void)p, (void)n;
	return 0;
}

/* Keys into the node's run directory, replacing what was there ... */
static const char *const keys_argv[] = { "sh", "-c",
					 "umask 077 && mkdir -p " PI_NODE_RUN_DIR "/ssh && cat >" PI_NODE_RUN_DIR
					 "/ssh/authorized_keys.new && mv -f " PI_NODE_RUN_DIR
					 "/ssh/authorized_keys.new " PI_NODE_RUN_DIR "/ssh/authorized_keys",
					 NULL };
/* ... or "root:HASH" as root's password. */
static const char *const password_argv[] = { "chpasswd", "-e", NULL };

/* Runs argv in node with data as its stdin. */
static int push_node(struct pi_backend *b, const char *lab, const char *node, const char *const *argv,
		     const char *data, size_t len, struct pi_diag *diag)
{
	size_t argc = 0;
	while (argv[argc])
		argc++;
	int p[2], status = 0;
	if (len > KEYS_MAX || pipe2(p, O_CLOEXEC) != 0)
		return -EINVAL;
	ssize_t w = write(p[1], data, len); /* fits the pipe: KEYS_MAX */
	close(p[1]);
	int rc = w == (ssize_t)len ? b->ops->exec_stream(b, lab, node, argv, argc, NULL, p[0], discard, NULL, &status,
							  NULL, diag)
				   : -EIO;
	close(p[0]);
	return rc ? rc : status ? -EIO : 0;
}

/* argv with data to team's running nodes; *pushed counts them. */
static int push_team(struct pi_backend *b, const struct pi_plan *plan, const char *team, const char *const *argv,
		     const char *keys, size_t len, unsigned *pushed, struct pi_diag *diag)
{
	struct pi_vec pods = PI_VEC_INIT(uint32_t);
	pi_plan_team_pods(plan, team, &pods);
	int rc = 0;
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		bool mine = false;
		for (size_t k = 0; k < pods.len; k++)
			mine |= *(uint32_t *)pi_vec_at(&pods, k) == plan->nodes[n].pod;
		if (!mine)
			continue;
		struct pi_diag quiet; /* a stopped node is no error; others are summed up below */
		pi_diag_init(&quiet);
		int r = push_node(b, plan->lab_name, plan->nodes[n].name, argv, keys, len, &quiet);
		pi_diag_free(&quiet);
		if (r == 0)
			(*pushed)++;
		else if (r != -ESRCH && r != -ENOENT && !rc) /* a stopped node gets them at the next gateway start */
			rc = r;
	}
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, "is the lab set up with an image that has sshd? pocketinternet status",
			    "cannot give team %s's credentials to its nodes: %s", team, strerror(-rc));
	pi_vec_free(&pods);
	return rc;
}

static bool team_known(const struct pi_plan *plan, const char *team, struct pi_diag *diag)
{
	struct pi_vec pods = PI_VEC_INIT(uint32_t);
	bool known = pi_plan_team_pods(plan, team, &pods);
	pi_vec_free(&pods);
	if (!known)
		pi_diag_add(diag, (struct pi_pos){ 0 }, "see the teams with: pocketinternet teams", "lab %s has no team '%s'",
			    plan->lab_name, team);
	return known;
}

int pi_apply_ssh_password_hash(const char *password, char *out, size_t len)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = pi_xcalloc(1, sizeof(*cd)); /* 32 kB: not for the stack */
	/* NULL random bytes: libxcrypt draws the salt from the OS itself. */
	const char *h = crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) ? crypt_r(password, salt, cd) : NULL;
	int rc = h && strncmp(h, "$y$", 3) == 0 && strlen(h) < len ? 0 : -EINVAL;
	if (!rc)
		snprintf(out, len, "%s", h);
	sodium_memzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int pi_apply_team_ssh_password_set(struct pi_backend *b, const struct pi_plan *plan, const char *state_dir,
				   const char *team, const char *password, unsigned *pushed, struct pi_diag *diag)
{
	*pushed = 0;
	if (!team_known(plan, team, diag))
		return -ENOENT;
	char hash[256], line[300], name[128];
	if (strlen(password) < 12 || pi_apply_ssh_password_hash(password, hash, sizeof(hash)) != 0) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "use the team's generated web password (teams --passwords)",
			    "cannot make an SSH password hash for team %s", team);
		return -EINVAL;
	}
	int n = snprintf(line, sizeof(line), "root:%s\n", hash);
	snprintf(name, sizeof(name), "%s.hash", team);
	int fd = ssh_dir(state_dir, true, diag);
	int rc = fd < 0 ? fd : pi_file_write_at(fd, name, line, (size_t)n, 0600);
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = push_team(b, plan, team, password_argv, line, (size_t)n, pushed, diag);
	return rc;
}

int pi_apply_team_ssh_key_set(struct pi_backend *b, const struct pi_plan *plan, const char *state_dir,
			      const char *team, const char *text, size_t len, unsigned *pushed, struct pi_diag *diag)
{
	*pushed = 0;
	if (!team_known(plan, team, diag))
		return -ENOENT;
	struct pi_buf keys;
	pi_buf_init(&keys);
	int rc = pi_apply_ssh_keys_parse(text, len, &keys, diag);
	int fd = rc ? -1 : ssh_dir(state_dir, true, diag);
	char name[128];
	snprintf(name, sizeof(name), "%s.keys", team);
	if (!rc)
		rc = fd < 0 ? fd : pi_file_write_at(fd, name, keys.data, keys.len, 0600);
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = push_team(b, plan, team, keys_argv, keys.data, keys.len, pushed, diag);
	pi_buf_free(&keys);
	return rc;
}

int pi_apply_team_ssh_keys_push(struct pi_backend *b, const struct pi_plan *plan, const char *state_dir,
				unsigned *pushed, struct pi_diag *diag)
{
	*pushed = 0;
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	int fd = ssh_dir(state_dir, false, &quiet), rc = 0;
	pi_diag_free(&quiet);
	if (fd < 0)
		return 0; /* no keys given yet */
	struct pi_vec teams = PI_VEC_INIT(struct pi_team_info);
	pi_apply_teams(plan, &teams);
	for (size_t i = 0; i < teams.len; i++) {
		const struct pi_team_info *t = pi_vec_at(&teams, i);
		for (int k = 0; k < 2; k++) {
			char name[128], *data = NULL;
			size_t len = 0;
			snprintf(name, sizeof(name), "%s.%s", t->name, k ? "hash" : "keys");
			if (pi_file_read_at(fd, name, &data, &len, KEYS_MAX) == 0) {
				int r = push_team(b, plan, t->name, k ? password_argv : keys_argv, data, len, pushed, diag);
				rc = rc ? rc : r;
			}
			free(data);
		}
	}
	pi_apply_teams_free(&teams);
	close(fd);
	return rc;
}
