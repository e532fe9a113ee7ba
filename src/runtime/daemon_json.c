/*
 * daemon_json: moves Docker's own networks (docker0's "bip", the
 * "default-address-pools" new networks are carved from, IPv6's
 * "fixed-cidr-v6") out of the lab's address space, keeping every other key
 * of /etc/docker/daemon.json. The merge is pure so it is unit-tested; the
 * write keeps a timestamped backup and replaces the file atomically, since
 * a half-written daemon.json stops the engine from starting at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "docker_internal.h"

static const struct pi_pos nopos = { NULL, 0, 0 };

void pi_daemon_json_reserved(struct pi_prefix out[3])
{
	pi_prefix_parse("10.0.0.0/8", &out[0]);
	pi_prefix_parse("100.64.0.0/10", &out[1]);
	pi_prefix_parse("172.16.0.0/12", &out[2]);
}

void pi_daemon_json_result_free(struct pi_daemon_json_result *r)
{
	free(r->json);
	r->json = NULL;
	pi_buf_free(&r->changes);
}

static bool clashes(const struct pi_prefix *p, const struct pi_prefix *avoid, size_t n_avoid)
{
	for (size_t i = 0; i < n_avoid; i++)
		if (avoid[i].family == p->family && pi_prefix_overlaps(&avoid[i], p))
			return true;
	return false;
}

/* The network of a "bip" value, which is written as a host address. */
static bool bip_net(json_t *v, struct pi_prefix *out)
{
	const char *s = json_string_value(v);
	if (!s || pi_prefix_parse(s, out) != 0 || out->family != PI_AF_V4 || out->len == 32)
		return false;
	*out = pi_prefix_network(out);
	return true;
}

static bool pools_safe(json_t *v, const struct pi_prefix *avoid, size_t n_avoid, const struct pi_prefix *bip)
{
	struct pi_vec pools = PI_VEC_INIT(struct pi_docker_pool);
	bool ok = json_array_size(v) > 0 && pi_docker_parse_pools(v, &pools) == 0;
	for (size_t i = 0; ok && i < pools.len; i++) {
		struct pi_docker_pool *p = pi_vec_at(&pools, i);
		if (clashes(&p->base, avoid, n_avoid) || (bip && pi_prefix_overlaps(&p->base, bip)))
			ok = false;
	}
	pi_vec_free(&pools);
	return ok;
}

static const char *const v4_candidates[] = { "192.168.0.0/16", "198.18.0.0/15" };
static const char v6_range[] = "fd0c:7069:d0c::/48";

bool pi_daemon_json_in_candidates(const struct pi_prefix *p)
{
	struct pi_prefix c;
	for (size_t i = 0; i < PI_ARRAY_LEN(v4_candidates); i++)
		if (pi_prefix_parse(v4_candidates[i], &c) == 0 && pi_prefix_overlaps(&c, p))
			return true;
	return pi_prefix_parse(v6_range, &c) == 0 && p->family == PI_AF_V6 && pi_prefix_overlaps(&c, p);
}

/* First subnet of length len in the candidate ranges that avoids everything. */
static int pick_v4(unsigned len, const struct pi_prefix *avoid, size_t n_avoid, const struct pi_prefix *also,
		   struct pi_prefix *out)
{
	for (size_t c = 0; c < PI_ARRAY_LEN(v4_candidates); c++) {
		struct pi_prefix range;
		pi_prefix_parse(v4_candidates[c], &range);
		uint64_t n = pi_prefix_count(&range, len);
		for (uint64_t i = 0; i < n; i++) {
			struct pi_prefix p;
			if (pi_prefix_subnet(&range, len, i, &p) != 0)
				break;
			if (clashes(&p, avoid, n_avoid) || (also && pi_prefix_overlaps(&p, also)))
				continue;
			*out = p;
			return 0;
		}
	}
	return -ENOSPC;
}

/* A ULA /64 for docker0 ("pi" = 0x7069), outside fd00::/16 where the
 * original-format labs live, and avoiding the lab. */
static int pick_v6(const struct pi_prefix *avoid, size_t n_avoid, struct pi_prefix *out)
{
	struct pi_prefix range;
	pi_prefix_parse(v6_range, &range);
	for (uint64_t i = 0; i < 256; i++) {
		struct pi_prefix p;
		if (pi_prefix_subnet(&range, 64, i, &p) != 0)
			break;
		if (!clashes(&p, avoid, n_avoid)) {
			*out = p;
			return 0;
		}
	}
	return -ENOSPC;
}

static char *dump_value(json_t *v)
{
	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : pi_xstrdup("(unset)");
}

static void note_change(struct pi_daemon_json_result *r, const char *key, json_t *old, json_t *new_v,
			const char *why)
{
	char *a = dump_value(old), *b = dump_value(new_v);
	pi_buf_printf(&r->changes, "%s: %s -> %s (%s)\n", key, a, b, why);
	free(a);
	free(b);
	r->changed = true;
}

/* Parses the current daemon.json into *root; blank text is an empty object. */
static int load_root(const char *file_name, const char *text, json_t **root, struct pi_diag *diag)
{
	json_error_t jerr;
	bool empty = true;
	for (const char *p = text; p && *p; p++)
		if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r')
			empty = false;
	if (empty) {
		*root = json_object();
		return 0;
	}
	/* dockerd itself rejects a repeated key; a merge would silently keep one. */
	*root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!*root) {
		struct pi_pos pos = { file_name, jerr.line > 0 ? (unsigned)jerr.line : 0,
				      jerr.column > 0 ? (unsigned)jerr.column : 0 };
		bool dup = strstr(jerr.text, "duplicate") != NULL;
		if (diag)
			pi_diag_add(diag, pos,
				    dup ? "keep one of the repeated keys by hand; the file was left unchanged"
					: "fix the file by hand; it was left unchanged",
				    "malformed JSON: %s", jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(*root)) {
		struct pi_pos pos = { file_name, 1, 1 };
		if (diag)
			pi_diag_add(diag, pos, "daemon.json must hold one JSON object; it was left unchanged",
				    "the top level is not a JSON object");
		return -EINVAL;
	}
	return 0;
}

/* docker0: keep a bip that is already out of the way. *bip gets docker0's network. */
static int merge_bip(json_t *root, const struct pi_prefix *avoid, size_t n_avoid, struct pi_prefix *bip,
		     struct pi_daemon_json_result *out)
{
	char a[PI_PREFIX_STRLEN];
	json_t *old_bip = json_object_get(root, "bip");
	if (bip_net(old_bip, bip) && !clashes(bip, avoid, n_avoid))
		return 0;
	struct pi_prefix host;
	int rc = pick_v4(24, avoid, n_avoid, NULL, bip);
	if (rc)
		return rc;
	pi_prefix_host(bip, 1, &host);
	json_t *nv = json_string(pi_prefix_fmt(&host, a));
	note_change(out, "bip", old_bip, nv,
		    old_bip ? "overlaps the lab, a reserved range or a host route" : "docker0 defaults to 172.17.0.1/16");
	json_object_set_new(root, "bip", nv);
	/* A fixed-cidr must lie inside bip's network: an old one no longer does. */
	json_t *fc = json_object_get(root, "fixed-cidr");
	if (fc) {
		note_change(out, "fixed-cidr", fc, NULL, "it must lie inside the new bip");
		json_object_del(root, "fixed-cidr");
	}
	return 0;
}

static int merge_pools(json_t *root, const struct pi_prefix *avoid, size_t n_avoid, const struct pi_prefix *bip,
		       struct pi_daemon_json_result *out)
{
	char a[PI_PREFIX_STRLEN];
	json_t *old_pools = json_object_get(root, "default-address-pools");
	if (pools_safe(old_pools, avoid, n_avoid, bip))
		return 0;
	/* The largest free block from /17 down to /20, carved in /24s. */
	struct pi_prefix base;
	int rc = -ENOSPC;
	for (unsigned len = 17; len <= 20 && rc; len++)
		rc = pick_v4(len, avoid, n_avoid, bip, &base);
	if (rc)
		return rc;
	json_t *nv = json_pack("[{s:s, s:i}]", "base", pi_prefix_fmt(&base, a), "size", 24);
	note_change(out, "default-address-pools", old_pools, nv,
		    old_pools ? "overlaps the lab, docker0, a reserved range or a host route"
			      : "the built-in pools are 172.17.0.0/16-172.31.0.0/16 and 192.168.0.0/16");
	json_object_set_new(root, "default-address-pools", nv);
	return 0;
}

/* IPv6: only when the file turns it on does docker0 need a v6 range. */
static int merge_ipv6(json_t *root, const struct pi_prefix *avoid, size_t n_avoid, struct pi_daemon_json_result *out)
{
	char b[PI_PREFIX_STRLEN];
	json_t *ipv6 = json_object_get(root, "ipv6");
	json_t *old_fc6 = json_object_get(root, "fixed-cidr-v6");
	struct pi_prefix fc6;
	bool fc6_ok = old_fc6 && json_is_string(old_fc6) &&
		      pi_prefix_parse(json_string_value(old_fc6), &fc6) == 0 && fc6.family == PI_AF_V6 &&
		      !clashes(&fc6, avoid, n_avoid);
	if (json_is_true(ipv6) || old_fc6) {
		if (!fc6_ok) {
			int rc = pick_v6(avoid, n_avoid, &fc6);
			if (rc)
				return rc;
			json_t *nv = json_string(pi_prefix_fmt(&fc6, b));
			note_change(out, "fixed-cidr-v6", old_fc6, nv,
				    old_fc6 ? "overlaps the lab's IPv6 space" : "IPv6 is on and needs a range outside the lab");
			json_object_set_new(root, "fixed-cidr-v6", nv);
		}
	}
	if (!ipv6) {
		/* Say it explicitly, so nobody turns it on with a range in the lab. */
		json_t *nv = json_false();
		note_change(out, "ipv6", NULL, nv, "Docker's own networks stay IPv4-only");
		json_object_set_new(root, "ipv6", nv);
	}
	return 0;
}

/* out->json: the merged file, indented, with a final newline. */
static void dump_root(json_t *root, struct pi_daemon_json_result *out)
{
	char *s = json_dumps(root, JSON_INDENT(2));
	size_t n = strlen(s);
	out->json = pi_xmalloc(n + 2);
	memcpy(out->json, s, n);
	out->json[n] = '\n';
	out->json[n + 1] = '\0';
	free(s);
}

int pi_daemon_json_merge(const char *file_name, const char *text, const struct pi_prefix *avoid,
			 size_t n_avoid, struct pi_daemon_json_result *out, struct pi_diag *diag)
{
	json_t *root = NULL;
	struct pi_prefix bip;
	memset(out, 0, sizeof(*out));
	pi_buf_init(&out->changes);

	int rc = load_root(file_name, text, &root, diag);
	if (rc)
		goto out;
	rc = merge_bip(root, avoid, n_avoid, &bip, out);
	if (!rc)
		rc = merge_pools(root, avoid, n_avoid, &bip, out);
	if (!rc)
		rc = merge_ipv6(root, avoid, n_avoid, out);
	if (rc) {
		/* Only a full candidate range fails a merge step. */
		if (diag)
			pi_diag_add(diag, nopos, "give the lab a smaller address_space",
				    "no free range left for Docker's networks outside the lab's address space");
		goto out;
	}
	dump_root(root, out);
out:
	json_decref(root);
	if (rc)
		pi_daemon_json_result_free(out);
	return rc;
}

/* ---- reading once, checking bytes, writing ---- */

static const char bom_bytes[] = "\xEF\xBB\xBF";

/* 1-based line and byte column of offset off in data. */
static struct pi_pos pos_at(const char *file, const char *data, size_t off)
{
	struct pi_pos pos = { file, 1, 1 };
	for (size_t i = 0; i < off; i++) {
		if (data[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else {
			pos.col++;
		}
	}
	return pos;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
	else
		return 0;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

int pi_daemon_json_check_bytes(const char *file_name, const char *data, size_t len, size_t *bom_len,
			       struct pi_diag *diag)
{
	size_t skip = len >= 3 && memcmp(data, bom_bytes, 3) == 0 ? 3 : 0;
	*bom_len = skip;
	for (size_t i = skip; i < len;) {
		if (data[i] == '\0') {
			if (diag)
				pi_diag_add(diag, pos_at(file_name, data + skip, i - skip),
					    "remove the NUL bytes (a binary file or a broken editor?); the file was left unchanged",
					    "daemon.json holds a NUL byte");
			return -EINVAL;
		}
		size_t n = utf8_seq((const unsigned char *)data + i, len - i);
		if (!n) {
			if (diag)
				pi_diag_add(diag, pos_at(file_name, data + skip, i - skip),
					    "save the file as UTF-8 (dockerd reads nothing else); it was left unchanged",
					    "daemon.json is not UTF-8: byte 0x%02x", (unsigned char)data[i]);
			return -EILSEQ;
		}
		i += n;
	}
	return 0;
}

void pi_daemon_json_file_free(struct pi_daemon_json_file *f)
{
	free(f->target);
	free(f->data);
	memset(f, 0, sizeof(*f));
}

/* Reads the whole of fd into f->data (NUL-terminated, NULs inside kept). */
static int read_fd(int fd, struct pi_daemon_json_file *f)
{
	struct pi_buf b;
	char chunk[8192];
	pi_buf_init(&b);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = -errno;
			pi_buf_free(&b);
			return rc;
		}
		if (n == 0)
			break;
		pi_buf_write(&b, chunk, (size_t)n);
	}
	f->len = b.len;
	pi_buf_putc(&b, '\0'); /* pi_buf keeps a NUL after len only once written */
	f->data = pi_buf_steal(&b);
	return 0;
}

/* A symlink is followed to the file it names, so the link stays a link
 * (configuration managers often keep daemon.json elsewhere). */
static int resolve(const char *path, struct pi_daemon_json_file *f, struct pi_diag *diag)
{
	struct stat lst;
	f->target = realpath(path, NULL);
	if (f->target)
		return 0;
	int rc = -errno;
	if (rc == -ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		if (diag)
			pi_diag_add(diag, nopos, "create the file it points to, or remove the link",
				    "%s is a symbolic link to a missing file", path);
		return -ENOENT;
	}
	if (rc != -ENOENT) {
		if (diag)
			pi_diag_add(diag, nopos, NULL, "cannot resolve %s: %s", path, strerror(-rc));
		return rc;
	}
	f->target = pi_xstrdup(path); /* a missing file is created where asked */
	return 0;
}

int pi_daemon_json_read(const char *path, struct pi_daemon_json_file *f, struct pi_diag *diag)
{
	struct stat st;
	memset(f, 0, sizeof(*f));
	f->mode = 0644;
	int rc = resolve(path, f, diag);
	if (rc)
		goto out;
	int fd = open(f->target, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT) {
			f->data = pi_xstrdup("");
			return 0;
		}
		if (diag)
			pi_diag_add(diag, nopos, NULL, "cannot read %s: %s", f->target, strerror(-rc));
		goto out;
	}
	/* Mode and owner come from the very file that was read. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		if (diag)
			pi_diag_add(diag, nopos, "daemon.json must be a regular file", "%s is not a regular file",
				    f->target);
		close(fd);
		goto out;
	}
	rc = read_fd(fd, f);
	close(fd);
	if (rc) {
		if (diag)
			pi_diag_add(diag, nopos, NULL, "cannot read %s: %s", f->target, strerror(-rc));
		goto out;
	}
	f->exists = true;
	f->mode = st.st_mode & 07777;
	f->uid = st.st_uid;
	f->gid = st.st_gid;
out:
	if (rc)
		pi_daemon_json_file_free(f);
	return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes prefix + data to a new file (O_EXCL) with f's mode and, when f
 * existed, its owner and group; fsyncs it. */
static int write_new(const char *path, const char *prefix, const char *data, size_t len,
		     const struct pi_daemon_json_file *f)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, f->mode);
	if (fd < 0)
		return -errno;
	int rc = 0;
	/* open() applies the umask: set the mode exactly. */
	if (fchmod(fd, f->mode) < 0)
		rc = -errno;
	if (!rc && f->exists && fchown(fd, (uid_t)f->uid, (gid_t)f->gid) < 0)
		rc = -errno;
	if (!rc && prefix)
		rc = write_all(fd, prefix, strlen(prefix));
	if (!rc)
		rc = write_all(fd, data, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (rc)
		unlink(path);
	return rc;
}

/* The backup holds exactly the bytes that were read and merged. */
static int write_backup(const struct pi_daemon_json_file *f, struct pi_buf *bak, struct pi_diag *diag)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];
	int rc = 0;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	for (int i = 0; i < 100; i++) {
		pi_buf_reset(bak);
		pi_buf_printf(bak, "%s.bak-%s", f->target, stamp);
		if (i)
			pi_buf_printf(bak, "-%d", i);
		rc = write_new(pi_buf_str(bak), NULL, f->data, f->len, f);
		if (rc != -EEXIST)
			break;
	}
	if (rc && diag)
		pi_diag_add(diag, nopos, NULL, "cannot write the backup %s: %s", pi_buf_str(bak), strerror(-rc));
	return rc;
}

int pi_daemon_json_write_file(const struct pi_daemon_json_file *f, const char *json, bool bom, char *backup,
			      size_t backup_len, struct pi_diag *diag)
{
	char *dircopy = pi_xstrdup(f->target);
	const char *dir = dirname(dircopy);
	struct pi_buf tmp, bak;
	pi_buf_init(&tmp);
	pi_buf_init(&bak);
	if (backup && backup_len)
		backup[0] = '\0';

	int rc = pi_mkdir_p(dir, 0755);
	if (rc) {
		if (diag)
			pi_diag_add(diag, nopos, NULL, "cannot create %s: %s", dir, strerror(-rc));
		goto out;
	}
	if (f->exists) {
		rc = write_backup(f, &bak, diag);
		if (rc)
			goto out;
		if (backup && backup_len)
			snprintf(backup, backup_len, "%s", pi_buf_str(&bak));
	}
	pi_buf_printf(&tmp, "%s.tmp-%ld", f->target, (long)getpid());
	unlink(pi_buf_str(&tmp));
	rc = write_new(pi_buf_str(&tmp), bom ? bom_bytes : NULL, json, strlen(json), f);
	if (rc) {
		if (diag)
			pi_diag_add(diag, nopos, NULL, "cannot write %s: %s", pi_buf_str(&tmp), strerror(-rc));
		goto out;
	}
	if (rename(pi_buf_str(&tmp), f->target) < 0) {
		rc = -errno;
		unlink(pi_buf_str(&tmp));
		if (diag)
			pi_diag_add(diag, nopos, NULL, "cannot replace %s: %s", f->target, strerror(-rc));
		goto out;
	}
	/* The rename is durable only once the directory is synced. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	free(dircopy);
	pi_buf_free(&tmp);
	pi_buf_free(&bak);
	return rc;
}

int pi_daemon_json_write(const char *path, const char *json, char *backup, size_t backup_len,
			 struct pi_diag *diag)
{
	struct pi_daemon_json_file f;
	int rc = pi_daemon_json_read(path, &f, diag);
	if (rc)
		return rc;
	size_t bom = f.len >= 3 && memcmp(f.data, bom_bytes, 3) == 0;
	rc = pi_daemon_json_write_file(&f, json, bom, backup, backup_len, diag);
	pi_daemon_json_file_free(&f);
	return rc;
}
