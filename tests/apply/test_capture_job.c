/*
 * Background capture jobs on a live kernel (apply/capture_job.c; suite
 * 'apply', needs root or CAP_NET_RAW, else exits 77). No namespace is
 * made: the job captures on the loopback of the test's own namespace,
 * filtered to one UDP port, while the test sends datagrams to 127.0.0.1
 * (nobody listens; the ICMP errors do not match the filter). Stats count
 * them, the file read with libpcap while the job runs is whole and holds
 * them, and a stop comes within 200 ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/if_ether.h>
#include "pocketinternet/apply.h"

#define PORT 47813
#define PAYLOAD 100
#define FRAME (14 + 20 + 8 + PAYLOAD)

static char dir[64];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void lo_target(struct pi_capture_target *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->netns, sizeof(t->netns), "/proc/self/ns/net");
	snprintf(t->ifname, sizeof(t->ifname), "lo");
	snprintf(t->label, sizeof(t->label), "host:lo");
	snprintf(t->descr, sizeof(t->descr), "the test's loopback");
}

static void send_udp(unsigned n)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint8_t buf[PAYLOAD];
	for (unsigned k = 0; k < n; k++) {
		memset(buf, (int)k, sizeof(buf));
		assert_int_equal(sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sa, sizeof(sa)), PAYLOAD);
	}
	close(fd);
}

/* Packets in the file (libpcap reads pcapng), each checked: our datagrams. */
static unsigned read_back(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p)
		fail_msg("libpcap cannot read %s: %s", path, err);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned n = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		assert_int_equal(h->caplen, FRAME);
		assert_int_equal(h->len, FRAME);
		assert_int_equal(data[12] << 8 | data[13], ETH_P_IP);
		assert_int_equal(data[14 + 9], IPPROTO_UDP);
		assert_int_equal(data[14 + 20 + 2] << 8 | data[14 + 20 + 3], PORT);
		n++;
	}
	if (rc != PCAP_ERROR_BREAK)
		fail_msg("libpcap: %s after %u packets", pcap_geterr(p), n);
	pcap_close(p);
	return n;
}

static void wait_packets(struct pi_capture_job *j, uint64_t n, struct pi_capture_job_stats *st)
{
	double end = now_s() + 3;
	do {
		pi_apply_capture_job_stats(j, st);
		if (st->packets >= n)
			return;
		usleep(10000);
	} while (now_s() < end);
}

static void test_job_counts_and_writes(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/lo.pcapng", dir);
	struct pi_capture_target t;
	lo_target(&t);
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_capture_job *j = NULL;
	int rc = pi_apply_capture_job_start_targets(&t, 1, "udp port 47813", path, &j, &d);
	if (rc)
		pi_diag_print(&d, stderr);
	assert_int_equal(rc, 0);
	pi_diag_free(&d);
	struct pi_capture_job_stats st;
	pi_apply_capture_job_stats(j, &st);
	assert_true(st.running);
	assert_int_equal(st.packets, 0);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((uint64_t)sb.st_size, st.file_bytes); /* the header alone: already a file */
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(read_back(path), 0);

	/* Loopback shows each datagram twice: going out, and coming in. */
	send_udp(5);
	wait_packets(j, 10, &st);
	assert_int_equal(st.packets, 10);
	assert_int_equal(st.bytes, 10 * FRAME);
	assert_true(st.running);
	/* Read while it runs: whole, and all there. */
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((uint64_t)sb.st_size, st.file_bytes);
	assert_int_equal(read_back(path), 10);

	double t0 = now_s();
	assert_int_equal(pi_apply_capture_job_stop(j), 0);
	double took = now_s() - t0;
	if (took > 0.2)
		fail_msg("stop took %.0f ms", took * 1000);
	pi_apply_capture_job_stats(j, &st);
	assert_false(st.running);
	assert_int_equal(st.error, 0);
	assert_int_equal(pi_apply_capture_job_stop(j), 0); /* again: fine */
	send_udp(3); /* after the stop: not captured */
	usleep(50000);
	pi_apply_capture_job_free(j);
	assert_int_equal(read_back(path), 10);
	unlink(path);
}

static void test_job_refusals(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/bad.pcapng", dir);
	struct pi_capture_target t;
	lo_target(&t);
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_capture_job *j = (struct pi_capture_job *)&j;
	/* A filter that does not compile: refused before the file is made. */
	assert_int_equal(pi_apply_capture_job_start_targets(&t, 1, "udp prot 53", path, &j, &d), -EINVAL);
	assert_null(j);
	assert_int_equal(access(path, F_OK), -1);
	/* A file that cannot be made: its name in the message. */
	snprintf(path, sizeof(path), "%s/no/such/dir.pcapng", dir);
	assert_int_equal(pi_apply_capture_job_start_targets(&t, 1, NULL, path, &j, &d), -ENOENT);
	assert_null(j);
	/* An interface that is not there. */
	snprintf(t.ifname, sizeof(t.ifname), "pinosuch0");
	snprintf(path, sizeof(path), "%s/x.pcapng", dir);
	assert_int_equal(pi_apply_capture_job_start_targets(&t, 1, NULL, path, &j, &d), -ENODEV);
	assert_null(j);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	pi_diag_print(&d, m);
	fclose(m);
	assert_non_null(strstr(text, "udp prot 53"));
	assert_non_null(strstr(text, "no/such/dir.pcapng"));
	assert_non_null(strstr(text, "pinosuch0"));
	free(text);
	pi_diag_free(&d);
	pi_apply_capture_job_free(NULL);
}

int main(void)
{
	int probe = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		fprintf(stderr, "capture-job: needs CAP_NET_RAW (root): %s; skipped\n", strerror(errno));
		return 77;
	}
	close(probe);
	snprintf(dir, sizeof(dir), "/tmp/pi-capjob-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_counts_and_writes),
		cmocka_unit_test(test_job_refusals),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
