/*
 * Unit tests of the Docker client's pure parts: request bodies, response
 * parsing, the exec stream demultiplexer, progress line splitting, URL
 * escaping, version comparison, DOCKER_HOST handling and the tar writer.
 * No engine is needed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "docker_internal.h"

static void test_spec_json(void **state)
{
	(void)state;
	const struct pi_docker_kv labels[] = { { PI_LABEL_LAB, "demo" }, { PI_LABEL_NODE, "r1" } };
	const char *env[] = { "A=1", "B=two words" };
	const struct pi_docker_bind binds[] = { { "/srv/lab/r1", "/etc/pocketinternet", false },
						{ "/srv/rw", "/data", true } };
	const char *caps[] = { "NET_ADMIN", "NET_RAW" };
	const char *drop[] = { "ALL" };
	const struct pi_docker_kv sysctls[] = { { "net.ipv6.conf.all.disable_ipv6", "0" },
						 { "net.ipv4.ip_forward", "1" } };
	const char *devs[] = { "/dev/net/tun" };
	const char *cmd[] = { "sleep", "infinity" };
	struct pi_container_spec s = {
		.name = "pi-demo-r1", .image = "pocketinternet/node:0.1.0", .hostname = "r1",
		.labels = labels, .n_labels = 2, .env = env, .n_env = 2, .binds = binds, .n_binds = 2,
		.cap_add = caps, .n_cap_add = 2, .cap_drop = drop, .n_cap_drop = 1, .sysctls = sysctls, .n_sysctls = 2,
		.devices = devs, .n_devices = 1, .cmd = cmd, .n_cmd = 2, .init = true,
	};
	json_t *j = pi_docker_spec_json(&s);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "Image")), "pocketinternet/node:0.1.0");
	assert_string_equal(json_string_value(json_object_get(j, "Hostname")), "r1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "Labels"), PI_LABEL_NODE)), "r1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Env"), 1)), "B=two words");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Cmd"), 1)), "infinity");
	json_t *h = json_object_get(j, "HostConfig");
	assert_string_equal(json_string_value(json_object_get(h, "NetworkMode")), "none");
	assert_string_equal(json_string_value(json_object_get(json_object_get(h, "RestartPolicy"), "Name")), "no");
	assert_true(json_is_true(json_object_get(h, "Init")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(h, "Binds"), 0)),
			    "/srv/lab/r1:/etc/pocketinternet:ro");
	assert_string_equal(json_string_value(json_array_get(json_object_get(h, "Binds"), 1)), "/srv/rw:/data:rw");
	assert_string_equal(json_string_value(json_array_get(json_object_get(h, "CapAdd"), 0)), "NET_ADMIN");
	assert_string_equal(json_string_value(json_array_get(json_object_get(h, "CapDrop"), 0)), "ALL");
	assert_string_equal(json_string_value(json_object_get(json_object_get(h, "Sysctls"),
							       "net.ipv6.conf.all.disable_ipv6")), "0");
	json_t *dev = json_array_get(json_object_get(h, "Devices"), 0);
	assert_string_equal(json_string_value(json_object_get(dev, "PathOnHost")), "/dev/net/tun");
	assert_string_equal(json_string_value(json_object_get(dev, "PathInContainer")), "/dev/net/tun");
	assert_string_equal(json_string_value(json_object_get(dev, "CgroupPermissions")), "rwm");
	assert_null(json_object_get(h, "Memory"));
	assert_null(json_object_get(h, "PidsLimit"));
	assert_null(json_object_get(h, "SecurityOpt"));
	json_decref(j);

	/* Containment: memory without swap on top, a pids limit, no-new-privileges. */
	s.memory_mb = 256;
	s.pids_limit = 128;
	s.no_new_privileges = true;
	j = pi_docker_spec_json(&s);
	h = json_object_get(j, "HostConfig");
	assert_int_equal(json_integer_value(json_object_get(h, "Memory")), 256ll << 20);
	assert_int_equal(json_integer_value(json_object_get(h, "MemorySwap")), 256ll << 20);
	assert_int_equal(json_integer_value(json_object_get(h, "PidsLimit")), 128);
	assert_string_equal(json_string_value(json_array_get(json_object_get(h, "SecurityOpt"), 0)), "no-new-privileges");
	json_decref(j);

	/* Minimal spec: no Cmd, no Hostname, empty arrays, and still network mode none. */
	struct pi_container_spec m = { .name = "x", .image = "img" };
	j = pi_docker_spec_json(&m);
	assert_null(json_object_get(j, "Cmd"));
	assert_null(json_object_get(j, "Hostname"));
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "HostConfig"), "Binds")), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "HostConfig"), "NetworkMode")), "none");
	assert_true(json_is_false(json_object_get(json_object_get(j, "HostConfig"), "Init")));
	json_decref(j);
}

static void test_exec_json(void **state)
{
	(void)state;
	const char *argv[] = { "sh", "-c", "echo 'a b'; exit 3" };
	const char *env[] = { "X=y" };
	struct pi_exec_opts o = { .env = env, .n_env = 1, .user = "bird", .workdir = "/tmp" };
	json_t *j = pi_docker_exec_json(argv, 3, &o);
	json_t *cmd = json_object_get(j, "Cmd");
	assert_int_equal(json_array_size(cmd), 3);
	/* Each argument stays one array element: no shell word splitting. */
	assert_string_equal(json_string_value(json_array_get(cmd, 2)), "echo 'a b'; exit 3");
	assert_true(json_is_true(json_object_get(j, "AttachStdout")));
	assert_true(json_is_true(json_object_get(j, "AttachStderr")));
	assert_true(json_is_false(json_object_get(j, "Tty")));
	assert_string_equal(json_string_value(json_object_get(j, "User")), "bird");
	assert_string_equal(json_string_value(json_object_get(j, "WorkingDir")), "/tmp");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Env"), 0)), "X=y");
	json_decref(j);
	j = pi_docker_exec_json(argv, 1, NULL);
	assert_null(json_object_get(j, "User"));
	assert_null(json_object_get(j, "Env"));
	json_decref(j);
}

static void test_label_filter(void **state)
{
	(void)state;
	assert_null(pi_docker_label_filter(NULL));
	char *f = pi_docker_label_filter("pocketinternet.lab=demo");
	assert_string_equal(f, "{\"label\":[\"pocketinternet.lab=demo\"]}");
	struct pi_buf b;
	pi_buf_init(&b);
	pi_url_escape(&b, f);
	assert_string_equal(pi_buf_str(&b), "%7B%22label%22%3A%5B%22pocketinternet.lab%3Ddemo%22%5D%7D");
	free(f);
	pi_buf_reset(&b);
	pi_url_escape(&b, "a b/c~d_e-f.g");
	assert_string_equal(pi_buf_str(&b), "a%20b%2Fc~d_e-f.g");
	pi_buf_free(&b);
}

static void test_keep_head(void **state)
{
	(void)state;
	struct pi_buf raw;
	pi_buf_init(&raw);
	char chunk[3000];
	memset(chunk, 'x', sizeof(chunk));
	pi_docker_keep_head(&raw, "{\"message\":", 11);
	assert_int_equal(raw.len, 11);
	pi_docker_keep_head(&raw, chunk, sizeof(chunk));
	pi_docker_keep_head(&raw, chunk, sizeof(chunk));
	/* Past 4 KiB nothing more is kept, however long the stream runs. */
	size_t kept = raw.len;
	assert_true(kept >= 4096 && kept <= 11 + 2 * sizeof(chunk));
	pi_docker_keep_head(&raw, chunk, sizeof(chunk));
	assert_int_equal(raw.len, kept);
	assert_memory_equal(raw.data, "{\"message\":", 11);
	pi_buf_free(&raw);
}

static void test_parse_inspect(void **state)
{
	(void)state;
	const char *doc = "{\"Id\":\"abc123\",\"Name\":\"/pi-demo-r1\",\"Config\":{\"Image\":\"img:1\"},"
			  "\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":4242,\"ExitCode\":0}}";
	json_t *j = json_loads(doc, 0, NULL);
	struct pi_container_info info;
	assert_int_equal(pi_docker_parse_inspect(j, &info), 0);
	assert_string_equal(info.id, "abc123");
	assert_string_equal(info.name, "pi-demo-r1");
	assert_string_equal(info.image, "img:1");
	assert_string_equal(info.status, "running");
	assert_true(info.running);
	assert_int_equal(info.pid, 4242);
	json_decref(j);
	j = json_loads("[]", 0, NULL);
	assert_int_equal(pi_docker_parse_inspect(j, &info), -EPROTO);
	json_decref(j);
}

static void test_parse_summary(void **state)
{
	(void)state;
	const char *doc = "{\"Id\":\"def\",\"Names\":[\"/pi-demo-h1\"],\"Image\":\"img\",\"State\":\"exited\","
			  "\"Labels\":{\"pocketinternet.lab\":\"demo\",\"pocketinternet.node\":\"h1\"}}";
	json_t *j = json_loads(doc, 0, NULL);
	struct pi_container_summary s;
	assert_int_equal(pi_docker_parse_summary(j, &s), 0);
	assert_string_equal(s.name, "pi-demo-h1");
	assert_string_equal(s.state, "exited");
	assert_string_equal(s.lab, "demo");
	assert_string_equal(s.node, "h1");
	json_decref(j);
}

static void test_parse_network_and_pools(void **state)
{
	(void)state;
	const char *doc = "{\"Name\":\"bridge\",\"Id\":\"f7\",\"Driver\":\"bridge\",\"IPAM\":{\"Config\":"
			  "[{\"Subnet\":\"172.17.0.0/16\",\"Gateway\":\"172.17.0.1\"},{\"Subnet\":\"fd00::/64\"},"
			  "{\"Gateway\":\"1.2.3.4\"}]}}";
	json_t *j = json_loads(doc, 0, NULL);
	struct pi_docker_network n;
	char buf[PI_PREFIX_STRLEN];
	assert_int_equal(pi_docker_parse_network(j, &n), 0);
	assert_string_equal(n.name, "bridge");
	assert_int_equal(n.n_subnets, 2);
	assert_string_equal(pi_prefix_fmt(&n.subnets[0], buf), "172.17.0.0/16");
	assert_string_equal(pi_prefix_fmt(&n.subnets[1], buf), "fd00::/64");
	json_decref(j);

	struct pi_vec pools = PI_VEC_INIT(struct pi_docker_pool);
	j = json_loads("[{\"base\":\"192.168.128.0/17\",\"size\":24},{\"Base\":\"10.0.0.0/8\",\"Size\":16}]", 0, NULL);
	assert_int_equal(pi_docker_parse_pools(j, &pools), 0);
	assert_int_equal(pools.len, 2);
	struct pi_docker_pool *p = pi_vec_at(&pools, 1);
	assert_string_equal(pi_prefix_fmt(&p->base, buf), "10.0.0.0/8");
	assert_int_equal(p->size, 16);
	json_decref(j);
	/* A size shorter than the base is nonsense. */
	j = json_loads("[{\"base\":\"192.168.0.0/16\",\"size\":8}]", 0, NULL);
	assert_int_equal(pi_docker_parse_pools(j, &pools), -EINVAL);
	json_decref(j);
	pi_vec_free(&pools);
}

/* Builds one attach-stream frame. */
static void frame(struct pi_buf *b, int stream, const char *payload)
{
	size_t n = strlen(payload);
	unsigned char h[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
			       (unsigned char)(n >> 8), (unsigned char)n };
	pi_buf_write(b, h, 8);
	pi_buf_write(b, payload, n);
}

static void test_demux(void **state)
{
	(void)state;
	struct pi_buf stream;
	pi_buf_init(&stream);
	frame(&stream, 1, "hello ");
	frame(&stream, 2, "warn: x\n");
	frame(&stream, 1, "");
	frame(&stream, 1, "world\n");
	frame(&stream, 2, "second\n");
	/* Every split of the stream into two chunks gives the same output. */
	for (size_t cut = 0; cut <= stream.len; cut++) {
		struct pi_buf out, err;
		struct pi_demux m;
		pi_buf_init(&out);
		pi_buf_init(&err);
		pi_demux_init(&m, &out, &err);
		pi_demux_feed(&m, stream.data, cut);
		pi_demux_feed(&m, stream.data + cut, stream.len - cut);
		assert_string_equal(pi_buf_str(&out), "hello world\n");
		assert_string_equal(pi_buf_str(&err), "warn: x\nsecond\n");
		pi_buf_free(&out);
		pi_buf_free(&err);
	}
	/* And byte by byte. */
	struct pi_buf out, err;
	struct pi_demux m;
	pi_buf_init(&out);
	pi_buf_init(&err);
	pi_demux_init(&m, &out, &err);
	for (size_t i = 0; i < stream.len; i++)
		pi_demux_feed(&m, stream.data + i, 1);
	assert_string_equal(pi_buf_str(&out), "hello world\n");
	assert_string_equal(pi_buf_str(&err), "warn: x\nsecond\n");
	pi_buf_free(&out);
	pi_buf_free(&err);

	/* A cap per stream: the rest is dropped and the cut is reported. */
	pi_buf_init(&out);
	pi_buf_init(&err);
	pi_demux_init(&m, &out, &err);
	m.cap = 8;
	pi_demux_feed(&m, stream.data, stream.len);
	assert_string_equal(pi_buf_str(&out), "hello wo");
	assert_string_equal(pi_buf_str(&err), "warn: x\n");
	assert_true(m.truncated);
	pi_buf_free(&out);
	pi_buf_free(&err);
	pi_buf_free(&stream);
}

struct lines {
	char text[2048];
	int n;
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;
	l->n++;
	strncat(l->text, line, sizeof(l->text) - strlen(l->text) - 2);
	strcat(l->text, "|");
}

static void test_jsonlines(void **state)
{
	(void)state;
	const char *in = "{\"stream\":\"Step 1/3 : FROM x\\n\"}\r\n"
			 "{\"stream\":\" ---> abc\\n\"}\n"
			 "{\"status\":\"Downloading\",\"progress\":\"[=>  ]\"}\n"
			 "{\"aux\":{\"ID\":\"sha256:123\"}}\n"
			 "{\"errorDetail\":{\"message\":\"boom\"},\"error\":\"boom\"}";
	for (size_t cut = 0; cut < strlen(in); cut += 7) {
		struct lines l = { "", 0 };
		struct pi_jsonlines jl;
		pi_jsonlines_init(&jl, collect, &l);
		pi_jsonlines_feed(&jl, in, cut);
		pi_jsonlines_feed(&jl, in + cut, strlen(in) - cut);
		pi_jsonlines_finish(&jl);
		assert_string_equal(l.text, "Step 1/3 : FROM x| ---> abc|Downloading [=>  ]|");
		assert_string_equal(jl.error, "boom");
		assert_string_equal(jl.last_id, "sha256:123");
		pi_jsonlines_free(&jl);
	}
}

static void test_api_cmp(void **state)
{
	(void)state;
	assert_int_equal(pi_docker_api_cmp("1.41", "1.41"), 0);
	assert_true(pi_docker_api_cmp("1.40", "1.41") < 0);
	assert_true(pi_docker_api_cmp("1.43", "1.41") > 0);
	/* Numeric, not lexical: 1.100 is newer than 1.41. */
	assert_true(pi_docker_api_cmp("1.100", "1.41") > 0);
	assert_true(pi_docker_api_cmp("2.0", "1.41") > 0);
	assert_true(pi_docker_api_cmp("", "1.41") < 0);
	assert_true(pi_docker_api_cmp(NULL, "1.41") < 0);
}

static void test_docker_host(void **state)
{
	(void)state;
	struct pi_docker *d = NULL;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_docker_new("unix:///run/x.sock", &d, &diag), 0);
	assert_string_equal(pi_docker_socket(d), "/run/x.sock");
	pi_docker_free(d);

	assert_int_equal(pi_docker_new("tcp://127.0.0.1:2375", &d, &diag), -EINVAL);
	assert_null(d);
	assert_int_equal(pi_diag_count(&diag), 1);
	struct pi_diag_entry *e = pi_vec_at(&diag.entries, 0);
	assert_non_null(strstr(e->msg, "tcp://127.0.0.1:2375"));
	assert_non_null(strstr(e->msg, "only unix://"));
	assert_non_null(e->hint);

	assert_int_equal(pi_docker_new("unix://relative.sock", &d, &diag), -EINVAL);

	setenv("DOCKER_HOST", "unix:///tmp/from-env.sock", 1);
	assert_int_equal(pi_docker_new(NULL, &d, &diag), 0);
	assert_string_equal(pi_docker_socket(d), "/tmp/from-env.sock");
	pi_docker_free(d);
	unsetenv("DOCKER_HOST");
	assert_int_equal(pi_docker_new(NULL, &d, &diag), 0);
	assert_string_equal(pi_docker_socket(d), PI_DOCKER_DEFAULT_SOCKET);
	pi_docker_free(d);
	pi_diag_free(&diag);
}

/* The transport's message when nothing listens: what a fresh machine shows. */
static void test_missing_socket_message(void **state)
{
	(void)state;
	char path[] = "/tmp/pi-no-engine-XXXXXX";
	assert_non_null(mkdtemp(path));
	char host[128];
	snprintf(host, sizeof(host), "unix://%s/docker.sock", path);
	struct pi_docker *d = NULL;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_docker_open(host, &d, &diag), -ECONNREFUSED);
	assert_null(d);
	assert_int_equal(pi_diag_count(&diag), 1);
	struct pi_diag_entry *e = pi_vec_at(&diag.entries, 0);
	assert_non_null(strstr(e->msg, "cannot reach the Docker engine at"));
	assert_non_null(strstr(e->msg, "is dockerd running?"));
	assert_non_null(strstr(e->hint, "DOCKER_HOST"));
	pi_diag_free(&diag);
	rmdir(path);
}

static void test_tar(void **state)
{
	(void)state;
	struct pi_buf t;
	pi_buf_init(&t);
	pi_tar_add_file(&t, "Dockerfile", "FROM x\n", 7, 0644);
	pi_tar_add_file(&t, "empty", "", 0, 0600);
	pi_tar_finish(&t);
	/* Two headers, one padded data block, two zero blocks. */
	assert_int_equal(t.len, 512 * 5);
	const unsigned char *h = (const unsigned char *)t.data;
	assert_string_equal((const char *)h, "Dockerfile");
	assert_memory_equal(h + 257, "ustar", 6);
	unsigned sum = 0, want = 0;
	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	sscanf((const char *)h + 148, "%o", &want);
	assert_int_equal(sum, want);
	assert_memory_equal(t.data + 512, "FROM x\n", 7);
	unsigned long long size = 0;
	sscanf(t.data + 1024 + 124, "%llo", &size);
	assert_int_equal(size, 0);

	/* tar(1) reads it back, when present: the engine uses the same format. */
	char dir[] = "/tmp/pi-tar-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char file[256], cmd[512];
	snprintf(file, sizeof(file), "%s/ctx.tar", dir);
	assert_int_equal(pi_write_file(file, t.data, t.len, 0644), 0);
	snprintf(cmd, sizeof(cmd), "tar -tf %s > %s/list 2>&1", file, dir);
	if (system(cmd) == 0) {
		char *list = NULL;
		snprintf(file, sizeof(file), "%s/list", dir);
		assert_int_equal(pi_read_file(file, &list, NULL), 0);
		assert_string_equal(list, "Dockerfile\nempty\n");
		free(list);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	pi_buf_free(&t);
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(pi_write_file(path, text, strlen(text), 0644), 0);
}

static void test_find_mirror(void **state)
{
	(void)state;
	char dir[] = "/tmp/pi-apt-XXXXXX", p[256], buf[256], cmd[300];
	assert_non_null(mkdtemp(dir));
	assert_int_equal(pi_image_find_mirror(dir, buf, sizeof(buf)), -ENOENT);

	/* One-line format; the security line comes first and is skipped. */
	snprintf(p, sizeof(p), "%s/sources.list", dir);
	write_text(p, "# comment\ndeb http://security.debian.org/debian-security bookworm-security main\n"
		      "deb [arch=amd64 signed-by=/k.gpg] http://ftp.fr.debian.org/debian bookworm main\n");
	assert_int_equal(pi_image_find_mirror(dir, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http://ftp.fr.debian.org/debian");

	/* deb822 wins over sources.list; disabled and deb-src paragraphs are skipped. */
	snprintf(p, sizeof(p), "%s/sources.list.d/debian.sources", dir);
	write_text(p, "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\n"
		      "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n\n"
		      "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n\n"
		      "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
		      "URIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n");
	assert_int_equal(pi_image_find_mirror(dir, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http://deb.debian.org/debian");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_json),
		cmocka_unit_test(test_exec_json),
		cmocka_unit_test(test_label_filter),
		cmocka_unit_test(test_parse_inspect),
		cmocka_unit_test(test_parse_summary),
		cmocka_unit_test(test_parse_network_and_pools),
		cmocka_unit_test(test_demux),
		cmocka_unit_test(test_jsonlines),
		cmocka_unit_test(test_api_cmp),
		cmocka_unit_test(test_docker_host),
		cmocka_unit_test(test_missing_socket_message),
		cmocka_unit_test(test_tar),
		cmocka_unit_test(test_keep_head),
		cmocka_unit_test(test_find_mirror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
