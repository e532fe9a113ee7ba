/*
 * web/auth: accounts and what they may do. The file is
 * <state dir>/web/accounts.json (0600, in a 0700 directory):
 *   {"accounts": [{"user": "trainer", "role": "trainer", "pods": null,
 *                  "hash": "$argon2id$..."}]}
 * Only libsodium's crypto_pwhash_str hashes are stored, never a password.
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "web_int.h"

#define ACCOUNTS_FILE "accounts.json"
#define ACCOUNTS_MAX (1u << 20)

const char *pi_web_role_name(enum pi_web_role r)
{
	return r == PI_WEB_TRAINER ? "trainer" : "team";
}

const char *pi_web_action_name(enum pi_web_action a)
{
	static const char *const names[] = { "view", "term", "capture", "config", "save", "reset", "check" };
	return (unsigned)a < PI_ARRAY_LEN(names) ? names[a] : "?";
}

bool pi_web_may(const struct pi_web_account *a, enum pi_web_action action, const char *pod)
{
	if (!a)
		return false;
	if (a->role == PI_WEB_TRAINER || action == PI_WEB_VIEW)
		return true;
	for (size_t i = 0; pod && i < a->n_pods; i++)
		if (strcmp(a->pods[i], pod) == 0)
			return true;
	return false;
}

void pi_web_dir(const char *state_dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/web", state_dir);
}

static void account_free(struct pi_web_account *a)
{
	for (size_t i = 0; i < a->n_pods; i++)
		free(a->pods[i]);
	free(a->pods);
	sodium_memzero(a->hash, sizeof(a->hash));
}

void pi_web_accounts_free(struct pi_vec *v)
{
	for (size_t i = 0; i < v->len; i++)
		account_free(pi_vec_at(v, i));
	pi_vec_free(v);
}

static int account_from_json(json_t *o, struct pi_web_account *a)
{
	const char *user = NULL, *role = NULL, *hash = NULL;
	json_t *pods = NULL;
	memset(a, 0, sizeof(*a));
	if (json_unpack(o, "{s:s, s:s, s:s, s?o}", "user", &user, "role", &role, "hash", &hash, "pods", &pods) != 0 ||
	    strlen(user) >= sizeof(a->user) || strlen(hash) >= sizeof(a->hash) ||
	    (strcmp(role, "trainer") != 0 && strcmp(role, "team") != 0))
		return -EINVAL;
	snprintf(a->user, sizeof(a->user), "%s", user);
	snprintf(a->hash, sizeof(a->hash), "%s", hash);
	a->role = role[0] == 't' && role[1] == 'r' ? PI_WEB_TRAINER : PI_WEB_TEAM;
	if (json_is_array(pods) && json_array_size(pods)) {
		a->pods = pi_xcalloc(json_array_size(pods), sizeof(char *));
		for (size_t i = 0; i < json_array_size(pods); i++)
			if (json_is_string(json_array_get(pods, i)))
				a->pods[a->n_pods++] = pi_xstrdup(json_string_value(json_array_get(pods, i)));
	}
	return 0;
}

/*
 * <state_dir>/web, made 0700 when missing. Only inside a state directory
 * setup made (it holds the marker): accounts never create a lab's state
 * directory, which setup would then refuse as not its own. An fd or -errno.
 */
int web_dir_open(const char *state_dir, bool create, struct pi_diag *diag)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/" PI_MARKER, state_dir);
	if (create && access(path, F_OK) != 0) {
		pi_diag_add(diag, (struct pi_pos){ state_dir, 0, 0 }, "bring the lab up with 'pocketinternet setup' first",
			    "the lab's state directory is not there (or not made by setup)");
		return -ENOENT;
	}
	pi_web_dir(state_dir, path, sizeof(path));
	bool created = false;
	int fd = pi_dir_open(path, (create ? PI_DIR_CREATE : 0) | PI_DIR_OWNED, &created, diag);
	if (fd >= 0 && created)
		fchmod(fd, 0700);
	return fd;
}

int pi_web_accounts_load(const char *state_dir, struct pi_vec *out, struct pi_diag *diag)
{
	*out = (struct pi_vec)PI_VEC_INIT(struct pi_web_account);
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	int fd = web_dir_open(state_dir, false, &quiet);
	pi_diag_free(&quiet);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		fd = web_dir_open(state_dir, false, diag); /* again, to say why */
	if (fd < 0)
		return fd;
	char *text = NULL;
	size_t len = 0;
	int rc = pi_file_read_at(fd, ACCOUNTS_FILE, &text, &len, ACCOUNTS_MAX);
	close(fd);
	if (rc == -ENOENT)
		return 0;
	json_error_t err;
	json_t *j = rc ? NULL : json_loadb(text, len, 0, &err);
	json_t *arr = json_object_get(j, "accounts");
	for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr); i++) {
		struct pi_web_account a;
		if (account_from_json(json_array_get(arr, i), &a) == 0)
			*(struct pi_web_account *)pi_vec_push(out) = a;
	}
	if (!rc && !json_is_array(arr)) {
		rc = -EINVAL;
		pi_diag_add(diag, (struct pi_pos){ 0 }, "move it away; 'pocketinternet serve' then makes a new trainer account",
			    "%s/web/%s: not an accounts file", state_dir, ACCOUNTS_FILE);
	}
	json_decref(j);
	free(text);
	return rc;
}

static json_t *accounts_json(const struct pi_vec *v)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < v->len; i++) {
		const struct pi_web_account *a = pi_vec_at(v, i);
		json_t *pods = json_null();
		if (a->role == PI_WEB_TEAM) {
			pods = json_array();
			for (size_t k = 0; k < a->n_pods; k++)
				json_array_append_new(pods, json_string(a->pods[k]));
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s}", "user", a->user, "role",
						     pi_web_role_name(a->role), "pods", pods, "hash", a->hash));
	}
	return json_pack("{s:o}", "accounts", arr);
}

static int accounts_save(const char *state_dir, const struct pi_vec *v, struct pi_diag *diag)
{
	int fd = web_dir_open(state_dir, true, diag);
	if (fd < 0)
		return fd;
	json_t *j = accounts_json(v);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	int rc = pi_file_write_at(fd, ACCOUNTS_FILE, text, strlen(text), 0600);
	close(fd);
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, "check the permissions of the lab's state directory",
			    "cannot write %s/web/%s: %s", state_dir, ACCOUNTS_FILE, strerror(-rc));
	free(text);
	return rc;
}

/* A password to read aloud or paste: 15 random bytes, URL-safe base64. */
static void new_password(char *out, size_t len)
{
	unsigned char raw[15];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, len, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

static int set_fields(struct pi_web_account *a, const char *role, const char *const *pods, size_t n_pods,
		      const char *password)
{
	account_free(a);
	a->pods = NULL;
	a->n_pods = 0;
	a->role = strcmp(role, "trainer") == 0 ? PI_WEB_TRAINER : PI_WEB_TEAM;
	if (a->role == PI_WEB_TEAM && n_pods) {
		a->pods = pi_xcalloc(n_pods, sizeof(char *));
		for (size_t i = 0; i < n_pods; i++)
			a->pods[a->n_pods++] = pi_xstrdup(pods[i]);
	}
	if (crypto_pwhash_str(a->hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return -ENOMEM;
	return 0;
}

int pi_web_account_set(const char *state_dir, const char *user, const char *role, const char *const *pods,
		       size_t n_pods, char *password_out, size_t len, struct pi_diag *diag)
{
	if (sodium_init() < 0 || len < 32)
		return -EINVAL;
	if (!*user || strlen(user) >= PI_WEB_USER_MAX || !pi_web_name_ok(user) ||
	    (strcmp(role, "trainer") != 0 && strcmp(role, "team") != 0)) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "users are [A-Za-z0-9._-], roles trainer or team",
			    "cannot make account '%s' with role '%s'", user, role);
		return -EINVAL;
	}
	struct pi_vec v;
	int rc = pi_web_accounts_load(state_dir, &v, diag);
	if (rc)
		return rc;
	struct pi_web_account *a = NULL;
	for (size_t i = 0; i < v.len && !a; i++)
		if (strcmp(((struct pi_web_account *)pi_vec_at(&v, i))->user, user) == 0)
			a = pi_vec_at(&v, i);
	if (!a) {
		a = pi_vec_push(&v);
		snprintf(a->user, sizeof(a->user), "%s", user);
	}
	new_password(password_out, len);
	rc = set_fields(a, role, pods, n_pods, password_out);
	if (!rc)
		rc = accounts_save(state_dir, &v, diag);
	if (rc)
		sodium_memzero(password_out, len);
	pi_web_accounts_free(&v);
	return rc;
}

bool pi_web_account_check(const struct pi_web_account *a, const char *password)
{
	return crypto_pwhash_str_verify(a->hash, password, strlen(password)) == 0;
}
